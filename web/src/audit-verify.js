// Verifies an audit export in the browser, as docs/audit.md specifies and `quire audit
// verify` does: each line's hash, the sequence, the chain of `prev` hashes, and with a
// signed head the Merkle root (RFC 6962) of its first `size` entries and its Ed25519
// signature (Web Crypto). Returns { ok, entries, problem, line }; the first problem wins.

const encoder = new TextEncoder();
const HASH_MEMBER = ',"hash":"';

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function fromHex(text) {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// RFC 6962 2.1: MTH over leaf hashes.
async function merkleRoot(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array());
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  const [left, right] = await Promise.all([merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k))]);
  return sha256(concat(Uint8Array.of(1), left, right));
}

function pemToDer(pem) {
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}

export async function verifyExport(text, head = null, publicKeyPem = '') {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const entries = [];
  const leaves = [];
  let previousHash = '0'.repeat(64);
  let previousSeq = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const at = line.lastIndexOf(HASH_MEMBER);
    if (at < 0 || !line.endsWith('"}')) return { ok: false, entries, line: i + 1, problem: 'not an export line (no "hash" member at its end)' };
    const stated = line.slice(at + HASH_MEMBER.length, -2);
    const bytes = encoder.encode(`${line.slice(0, at)}}`);
    const actual = hex(await sha256(bytes));
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      return { ok: false, entries, line: i + 1, problem: 'not JSON' };
    }
    if (actual !== stated) return { ok: false, entries, line: i + 1, problem: `(seq ${entry.seq}) altered: its hash does not match its bytes` };
    if (i > 0 || head) {
      if (entry.seq === previousSeq) return { ok: false, entries, line: i + 1, problem: `(seq ${entry.seq}) inserted: seq repeated` };
      if (entry.seq < previousSeq) return { ok: false, entries, line: i + 1, problem: `(seq ${entry.seq}) reordered` };
      if (entry.seq !== previousSeq + 1 && (i > 0 || entry.seq !== 1)) {
        return { ok: false, entries, line: i + 1, problem: `(seq ${entry.seq}) removed: seq ${previousSeq + 1} missing before it` };
      }
    }
    if ((i > 0 || entry.seq === 1) && entry.prev !== previousHash) {
      return { ok: false, entries, line: i + 1, problem: `(seq ${entry.seq}) inserted or altered: its prev is not the hash of the entry before` };
    }
    previousHash = actual;
    previousSeq = entry.seq;
    entries.push(entry);
    leaves.push(await sha256(concat(Uint8Array.of(0), bytes)));
  }
  const result = { ok: true, entries, headChecked: false, signatureChecked: false };
  if (head) {
    if (entries.length === 0 || entries[0].seq !== 1 || entries.length < head.size) {
      return { ok: false, entries, line: lines.length, problem: `truncated: the head covers ${head.size} entries, the export holds ${entries.length} from seq ${entries[0] ? entries[0].seq : '-'}` };
    }
    const root = hex(await merkleRoot(leaves.slice(0, head.size)));
    if (root !== head.root) return { ok: false, entries, line: head.size, problem: `the Merkle root of the first ${head.size} entries is not the head's root` };
    result.headChecked = true;
    if (publicKeyPem) {
      const key = await crypto.subtle.importKey('spki', pemToDer(publicKeyPem), { name: 'Ed25519' }, false, ['verify']);
      const message = encoder.encode(`quire-audit-head\n${head.size}\n${head.root}\n${head.time}\n`);
      const valid = await crypto.subtle.verify({ name: 'Ed25519' }, key, fromHex(head.signature), message);
      if (!valid) return { ok: false, entries, line: 0, problem: "the head's signature does not verify with the public key" };
      result.signatureChecked = true;
    }
  }
  return result;
}
