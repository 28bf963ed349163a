/**
 * Streams parts of a file from disk without reading it whole: byte ranges of the file,
 * optionally interleaved with literal bytes (multipart framing).
 *
 * The file is opened on the first read, so a stream that is never read holds no handle, and it
 * is closed when the stream ends, fails or is cancelled (the engine cancels a body it cannot
 * send: HEAD, a closed connection). Exactly the declared bytes are produced: a file that shrank
 * under the stream fails it rather than sending short.
 */
import type { ByteRange } from "./range.ts";

export type StreamPiece = Uint8Array | ByteRange;

/** Bytes per read from disk. */
export const READ_CHUNK_BYTES = 64 * 1024;

export function fileStream(
  path: string,
  pieces: readonly StreamPiece[],
  chunkBytes: number = READ_CHUNK_BYTES,
): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | null = null;
  let finished = false;
  let index = 0;
  /** Next byte of the current range to send; -1 before the range starts. */
  let position = -1;
  /** Where the file's cursor is, to seek only when needed. */
  let cursor = 0;

  const release = () => {
    finished = true;
    const open = file;
    file = null;
    if (open !== null) {
      try {
        open.close();
      } catch {
        // Already closed.
      }
    }
  };

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        while (index < pieces.length) {
          const piece = pieces[index];
          if (piece instanceof Uint8Array) {
            index++;
            if (piece.length === 0) continue;
            controller.enqueue(piece);
            return;
          }
          if (position < 0) position = piece.start;
          const remaining = piece.end + 1 - position;
          if (remaining <= 0) {
            index++;
            position = -1;
            continue;
          }
          if (file === null) {
            const opened = await Deno.open(path, { read: true });
            if (finished) {
              // Cancelled while opening.
              opened.close();
              return;
            }
            file = opened;
            cursor = 0;
          }
          if (cursor !== position) {
            await file.seek(position, Deno.SeekMode.Start);
            cursor = position;
          }
          const buffer = new Uint8Array(Math.min(chunkBytes, remaining));
          const n = await file.read(buffer);
          if (finished) return;
          if (n === null) throw new Error(`file ended ${remaining} bytes before the range did`);
          position += n;
          cursor += n;
          controller.enqueue(n === buffer.length ? buffer : buffer.subarray(0, n));
          return;
        }
        release();
        controller.close();
      } catch (error) {
        if (finished) return;
        release();
        controller.error(error);
      }
    },
    cancel() {
      release();
    },
  }, { highWaterMark: 0 });
}
