// The bytes of an imported CSV file as text. Spreadsheets save CSV as UTF-8
// (with or without a BOM), as UTF-16 ("Unicode text", with a BOM), or in the
// computer's legacy code page (Windows-1252, GBK), which cannot be told apart
// safely; that last one is refused with how to save the file instead.

export type Decoded = { text: string } | { problem: string };

/** Decodes `bytes` by its byte-order mark, else as strict UTF-8. */
export function decodeCsvBytes(bytes: Uint8Array): Decoded {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes) };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes) };
  try {
    // Keeps a UTF-8 BOM, which the CSV parser skips.
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).reduce((n, b) => n + (b === 0x0a ? 1 : 0), 1);
    return {
      problem: `line ${line}: the file is not UTF-8 text (it looks saved in a legacy encoding such as Windows-1252 or GBK); save it as "CSV UTF-8" and import it again`,
    };
  }
}

/** Where the first byte that cannot start or continue a UTF-8 sequence is: the longest valid prefix, by bisection. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    try {
      // `stream` lets the prefix end inside a sequence.
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid;
    }
  }
  return lo;
}
