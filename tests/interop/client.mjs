// One y-websocket client per Node process, driven over stdin/stdout with
// newline-delimited JSON. See README.md beside this file and yclient.py (the
// Python driver).
//
//   node client.mjs '{"url": "ws://127.0.0.1:PORT/ws/docs", "doc": "docid", "token": "..."}'
//
// stdout carries only JSON lines (events and acks); anything else a library
// prints goes to stderr.

import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as awarenessProtocol from 'y-protocols/awareness'
import WebSocket from 'ws'

// ---------------------------------------------------------------- output ---

// Keep stdout a clean JSON channel: route console.log & co to stderr.
for (const name of ['log', 'info', 'debug']) {
  console[name] = (...args) => console.error(...args)
}

// Set once the driver stopped reading (EPIPE): nothing can be reported any more.
let stdoutBroken = false
process.stdout.on('error', () => {
  // Without this listener an EPIPE is an uncaught exception, whose report
  // fails again with EPIPE, and so on. The driver is gone: leave at once.
  stdoutBroken = true
  process.exit(1)
})

/** @param {object} obj */
const emit = (obj) => {
  if (stdoutBroken) return
  process.stdout.write(JSON.stringify(obj) + '\n')
}

/** Resolves once everything written to stdout so far has been handed to the OS. */
const flushStdout = () => new Promise((resolve) => {
  if (stdoutBroken) return resolve()
  process.stdout.write('', () => resolve())
})

let exiting = false
/** @param {number} code */
const exitProcess = async (code) => {
  if (exiting) return
  exiting = true
  await flushStdout()
  process.exit(code)
}

/** @param {unknown} err */
const errorMessage = (err) =>
  err instanceof Error ? (err.stack || err.message) : String(err)

/** @param {unknown} err */
const fatal = (err) => {
  if (exiting) return
  emit({ event: 'error', message: errorMessage(err), fatal: true })
  exitProcess(1)
}
process.on('uncaughtException', fatal)
process.on('unhandledRejection', fatal)

/** @param {Uint8Array} bytes */
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ')

/** @param {string} hex  "00 01 ff" or "0001ff" */
const fromHex = (hex) => {
  const clean = hex.replace(/\s+/g, '')
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new Error(`invalid hex string: ${JSON.stringify(hex)}`)
  }
  return Uint8Array.from(Buffer.from(clean, 'hex'))
}

/** Normalises whatever `ws` hands out or is handed (Buffer, ArrayBuffer, views, fragments). */
const toBytes = (data) => {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data.map((d) => Buffer.from(toBytes(d)))))
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data, 'utf8'))
  return new Uint8Array(0)
}

// ---------------------------------------------------------------- config ---

let config
try {
  config = JSON.parse(process.argv[2] ?? '')
} catch (err) {
  emit({ event: 'error', message: `bad config argument: ${errorMessage(err)}`, fatal: true })
  await exitProcess(2)
}

const {
  url,
  doc: docName,
  token,
  clientId = null,
  textName = 't',
  user = null,
  logFrames = false,
  connect = true,
  maxBackoffTime = 2500,
  resyncInterval = -1,
  watchText = false
} = config

// ------------------------------------------------------- websocket class ---

let attempts = 0

/**
 * The provider's WebSocket: counts connection attempts (every socket the
 * provider creates) and, with logFrames, logs each frame in both directions
 * in the order they happen.
 */
class HarnessWebSocket extends WebSocket {
  constructor (address, protocols, options) {
    super(address, protocols, options)
    attempts += 1
    if (logFrames) {
      // Registered in the constructor, i.e. before the provider sets
      // `onmessage`, so an inbound frame is logged before it is handled (and
      // before any reply the handler sends).
      this.on('message', (data, isBinary) => {
        const ev = { event: 'frame', dir: 'in', hex: toHex(toBytes(data)) }
        if (!isBinary) ev.binary = false
        emit(ev)
      })
    }
  }

  send (data, options, cb) {
    if (logFrames && this.readyState === WebSocket.OPEN) {
      emit({ event: 'frame', dir: 'out', hex: toHex(toBytes(data)) })
    } else if (logFrames && this.readyState !== WebSocket.CONNECTING) {
      // ws drops sends on a closing/closed socket; say so rather than lie.
      emit({ event: 'frame', dir: 'out', hex: toHex(toBytes(data)), dropped: true })
    }
    return super.send(data, options, cb)
  }
}

// y-websocket's resyncInterval timer reads the global `WebSocket.OPEN`, and
// Node 20 has no global WebSocket (it is a ReferenceError there). Provide ws's.
if (typeof globalThis.WebSocket === 'undefined') {
  globalThis.WebSocket = WebSocket
}

// ------------------------------------------------------------- doc + ws ---

const ydoc = new Y.Doc()
if (clientId !== null && clientId !== undefined) {
  ydoc.clientID = clientId
}
const ytext = ydoc.getText(textName)
// Created after the clientID is set: Awareness copies doc.clientID.
const awareness = new awarenessProtocol.Awareness(ydoc)
if (user !== null && user !== undefined) {
  awareness.setLocalState(user)
}

const providerOptions = {
  params: token === undefined || token === null ? {} : { token: String(token) },
  WebSocketPolyfill: HarnessWebSocket,
  disableBc: true,
  // Connect below, once every listener is attached, so that the first
  // 'connecting' status is reported too.
  connect: false,
  awareness,
  maxBackoffTime,
  resyncInterval
}
const provider = new WebsocketProvider(url, docName, ydoc, providerOptions)

provider.on('status', ({ status }) => emit({ event: 'status', status }))
provider.on('sync', (synced) => emit({ event: 'sync', synced }))
provider.on('connection-close', (event) => {
  // `event` is null when the provider closed the socket itself
  // (provider.disconnect(), or its 30 s "no message received" watchdog).
  if (event === null || event === undefined) {
    emit({ event: 'connection-close', code: null, reason: null, local: true })
  } else {
    emit({
      event: 'connection-close',
      code: event.code ?? null,
      reason: event.reason ?? '',
      wasClean: event.wasClean ?? null,
      local: false
    })
  }
})
provider.on('connection-error', (event) => {
  const ev = { event: 'connection-error' }
  if (event && typeof event.message === 'string') ev.message = event.message
  emit(ev)
})
// y-websocket >= 3.1: a server close code the provider's `shouldReconnect`
// rejects (by default 4400-4499) ends reconnecting and emits 'closed'.
provider.on('closed', ({ code, reason }) => emit({ event: 'closed', code, reason }))

awareness.on('change', ({ added, updated, removed }, origin) => {
  emit({
    event: 'awareness-change',
    added,
    updated,
    removed,
    local: origin === 'local'
  })
})

if (watchText) {
  ytext.observe(() => emit({ event: 'text-changed', length: ytext.length }))
}

// --------------------------------------------------------------- commands ---

const awarenessStates = () => {
  const states = {}
  for (const [id, state] of awareness.getStates()) states[id] = state
  return states
}

/** Resolves when `ws` has closed, or after `ms`, whichever comes first. */
const waitClosed = (ws, ms) => new Promise((resolve) => {
  if (ws === null || ws.readyState === WebSocket.CLOSED) return resolve()
  const timer = setTimeout(resolve, ms)
  ws.once('close', () => {
    clearTimeout(timer)
    resolve()
  })
})

/**
 * @param {any} msg
 * @returns {Promise<object>} extra ack fields
 */
const handle = async (msg) => {
  switch (msg.cmd) {
    case 'insert':
      ytext.insert(msg.index, msg.text)
      return {}
    case 'delete':
      ytext.delete(msg.index, msg.length)
      return {}
    case 'text':
      return { text: ytext.toString() }
    case 'state':
      return {
        text: ytext.toString(),
        stateVector: toHex(Y.encodeStateVector(ydoc)),
        synced: provider.synced,
        wsconnected: provider.wsconnected,
        wsconnecting: provider.wsconnecting,
        shouldConnect: provider.shouldConnect,
        clientId: ydoc.clientID,
        attempts
      }
    case 'awareness_set':
      awareness.setLocalState(msg.state ?? null)
      return {}
    case 'awareness_field':
      awareness.setLocalStateField(msg.field, msg.value)
      return {}
    case 'awareness':
      return { states: awarenessStates(), clientId: ydoc.clientID }
    case 'disconnect':
      provider.disconnect()
      return {}
    case 'connect':
      provider.connect()
      return {}
    case 'raw': {
      const ws = provider.ws
      if (ws === null || ws.readyState !== WebSocket.OPEN) return { sent: false }
      ws.send(fromHex(msg.hex))
      return { sent: true }
    }
    case 'exit': {
      const ws = provider.ws
      provider.destroy()
      // Let the close handshake finish (bounded) so the server sees a clean close.
      await waitClosed(ws, 1000)
      return { exiting: true }
    }
    default:
      throw new Error(`unknown command: ${JSON.stringify(msg.cmd)}`)
  }
}

/** @param {string} line */
const processLine = async (line) => {
  if (exiting || line.trim() === '') return
  let msg
  try {
    msg = JSON.parse(line)
  } catch (err) {
    emit({ event: 'error', message: `bad command line ${JSON.stringify(line)}: ${errorMessage(err)}` })
    return
  }
  const id = msg.id ?? null
  try {
    const result = await handle(msg)
    emit({ event: 'ack', id, cmd: msg.cmd, ...result })
    if (msg.cmd === 'exit') await exitProcess(0)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    emit({ event: 'error', message, stack: errorMessage(err), id, cmd: msg.cmd ?? null })
    emit({ event: 'ack', id, cmd: msg.cmd ?? null, error: message })
  }
}

// Commands run strictly one after the other, so acks come back in order.
let queue = Promise.resolve()
let pending = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  pending += chunk
  let nl
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl)
    pending = pending.slice(nl + 1)
    queue = queue.then(() => processLine(line))
  }
})
// The driver went away (closed our stdin): do not linger as an orphan.
process.stdin.on('end', () => {
  queue = queue.then(async () => {
    if (exiting) return
    try {
      provider.destroy()
    } catch (err) {
      emit({ event: 'error', message: errorMessage(err) })
    }
    await exitProcess(0)
  })
})

emit({ event: 'ready', clientId: ydoc.clientID })
if (connect) provider.connect()
