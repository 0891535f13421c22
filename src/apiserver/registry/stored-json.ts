// The JSON text of an object about to be stored, with the FieldsV1 trees of its managedFields
// entries that are frozen (the field manager shares one frozen tree between all creates of one
// object shape, apply/index.ts) written from their JSON made once per tree instead of being
// stringified again with every object. The text is exactly JSON.stringify(obj): each such tree
// is swapped for a placeholder string while the rest is stringified, and the placeholder's
// JSON is then replaced by the tree's; when a placeholder's JSON turns up more than once (an
// object that happens to contain the same text), the whole object is stringified plainly.

/** JSON of frozen (hence immutable) FieldsV1 trees; a memo of a pure function, weakly held. */
const treeJson = new WeakMap<object, string>();

const MARK = '\u0000skiff-stored-json:fieldsV1:';

/** JSON.stringify(obj), reusing the JSON of frozen managedFields[].fieldsV1 trees. */
export function storedJson(obj: { metadata?: { managedFields?: unknown } }): string {
  const entries = obj.metadata?.managedFields;
  if (!Array.isArray(entries) || entries.length === 0) return JSON.stringify(obj);
  const swapped: { entry: Record<string, unknown>; tree: object; placeholder: string; mark: string; json: string }[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as Record<string, unknown> | null;
    if (entry === null || typeof entry !== 'object' || Object.isFrozen(entry) || !Object.hasOwn(entry, 'fieldsV1')) continue;
    const tree = entry.fieldsV1;
    if (tree === null || typeof tree !== 'object' || !Object.isFrozen(tree)) continue;
    let json = treeJson.get(tree);
    if (json === undefined) {
      json = JSON.stringify(tree);
      treeJson.set(tree, json);
    }
    const placeholder = `${MARK}${i}`;
    swapped.push({ entry, tree, placeholder, mark: JSON.stringify(placeholder), json });
  }
  if (swapped.length === 0) return JSON.stringify(obj);
  let text: string;
  try {
    for (const s of swapped) s.entry.fieldsV1 = s.placeholder;
    text = JSON.stringify(obj);
  } finally {
    for (const s of swapped) s.entry.fieldsV1 = s.tree;
  }
  let out = '';
  let from = 0;
  for (const s of swapped) {
    const at = text.indexOf(s.mark, from);
    if (at < 0 || text.indexOf(s.mark, at + s.mark.length) >= 0) return JSON.stringify(obj);
    out += text.slice(from, at) + s.json;
    from = at + s.mark.length;
  }
  return out + text.slice(from);
}
