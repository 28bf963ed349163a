/** A self-signed certificate made at test time with openssl, accepted by Deno's TLS client. */
import { join } from "node:path";

export interface TestCertificate {
  readonly cert: string;
  readonly key: string;
}

/** Whether an `openssl` binary can be run. */
export function hasOpenssl(): boolean {
  try {
    return new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/**
 * An end-entity certificate for localhost and 127.0.0.1. Deno's client (rustls/webpki)
 * accepts it as its own trust anchor only with `CA:FALSE` and a subjectAltName.
 */
export async function createSelfSignedCertificate(): Promise<TestCertificate> {
  const dir = await Deno.makeTempDir({ prefix: "h1server-tls-" });
  try {
    const certFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    const { success, stderr } = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        keyFile,
        "-out",
        certFile,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
    return { cert: await Deno.readTextFile(certFile), key: await Deno.readTextFile(keyFile) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
