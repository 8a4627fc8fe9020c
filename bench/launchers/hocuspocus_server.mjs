// Hocuspocus 4 with its defaults (flushDelay 0: updates arriving in one event-loop turn are merged
// into one broadcast). Copied by `bench/install.py` into bench/.anchors/node/ so that the imports
// resolve against the anchors' node_modules; imports nothing from Atelier.
//
// With HOCUSPOCUS_STORE_DIR set, the Database extension stores each document's full state
// (debounced 2 s / max 10 s, and when its last client leaves) in one file per document, and
// fetches it on load: the set-up needed to measure a join after a restart.
import { Server } from '@hocuspocus/server'
import { Database } from '@hocuspocus/extension-database'
import fs from 'node:fs/promises'
import path from 'node:path'

const port = parseInt(process.env.PORT || '1234')
const storeDir = process.env.HOCUSPOCUS_STORE_DIR || ''
const extensions = []
if (storeDir) {
  const file = name => path.join(storeDir, encodeURIComponent(name) + '.ydoc')
  extensions.push(new Database({
    fetch: async ({ documentName }) => {
      try { return new Uint8Array(await fs.readFile(file(documentName))) } catch { return null }
    },
    store: async ({ documentName, state }) => {
      const tmp = file(documentName) + '.tmp'
      await fs.writeFile(tmp, state)
      await fs.rename(tmp, file(documentName))
    }
  }))
}

const server = new Server({ port, address: '127.0.0.1', quiet: true, extensions })
await server.listen()
console.log(`hocuspocus listening on ${port}${storeDir ? ' (store ' + storeDir + ')' : ''}`)
