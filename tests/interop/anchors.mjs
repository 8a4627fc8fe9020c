// A document made by real yjs, and passages in it anchored as the browser anchors them
// (Y.createRelativePositionFromTypeIndex on the paragraph's Y.XmlText, as y-prosemirror's
// absolutePositionToRelativePosition does), for the amendment tests.
// stdin: {"sections": {"key": ["paragraph", ...]}, "passages": [[key, paragraph, from, to], ...]}
// stdout: {"update": base64, "passages": [[start, end], ...]} (base64 Y.encodeRelativePosition)
import * as Y from 'yjs'

let input = ''
process.stdin.setEncoding('utf8')
for await (const chunk of process.stdin) input += chunk
const spec = JSON.parse(input)
const doc = new Y.Doc()
const texts = {}
for (const [key, paragraphs] of Object.entries(spec.sections)) {
  const fragment = doc.getXmlFragment(key)
  texts[key] = paragraphs.map((words) => {
    const paragraph = new Y.XmlElement('paragraph')
    fragment.push([paragraph])
    const text = new Y.XmlText()
    paragraph.insert(0, [text])
    text.insert(0, words)
    return text
  })
}
const encode = (text, index) =>
  Buffer.from(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(text, index))).toString('base64')
const passages = spec.passages.map(([key, paragraph, from, to]) => {
  const text = texts[key][paragraph]
  return [encode(text, from), encode(text, to)]
})
process.stdout.write(JSON.stringify({ update: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'), passages }))
