import assert from "node:assert/strict";
import { parseWrkOutput } from "./wrk_output.ts";

// Real wrk 4.1.0 output, captured on the bench machine.
const CLEAN_US = `Running 1s test @ http://127.0.0.1:18081/api/health
  1 threads and 1 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   101.16us  183.21us   4.24ms   99.09%
    Req/Sec    11.28k     1.22k   13.40k    63.64%
  Latency Distribution
     50%   84.00us
     75%   98.00us
     90%  112.00us
     99%  237.00us
  12307 requests in 1.10s, 1.89MB read
Requests/sec:  11188.77
Transfer/sec:      1.72MB
`;

const NON_2XX_MS = `Running 1s test @ http://127.0.0.1:18081/api/nope
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   400.48us  506.30us   6.06ms   95.84%
    Req/Sec    42.23k     5.28k   51.21k    60.00%
  Latency Distribution
     50%  290.00us
     75%  397.00us
     90%  527.00us
     99%    3.32ms
  42070 requests in 1.00s, 6.98MB read
  Non-2xx or 3xx responses: 42070
Requests/sec:  41929.33
Transfer/sec:      6.96MB
`;

const SOCKET_ERRORS = `Running 1s test @ http://127.0.0.1:18090/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   333.18us  265.14us   4.43ms   95.41%
    Req/Sec    43.90k     2.43k   47.04k    63.64%
  Latency Distribution
     50%  294.00us
     75%  344.00us
     90%  431.00us
     99%    1.63ms
  47941 requests in 1.10s, 1.83MB read
  Socket errors: connect 0, read 16, write 0, timeout 0
Requests/sec:  43589.31
Transfer/sec:      1.66MB
`;

// A server that answers after 1.1 s: latencies in seconds (wrk pads them with a trailing space).
const SLOW_SECONDS = `Running 3s test @ http://127.0.0.1:18092/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10s     3.50ms   1.11s   100.00%
    Req/Sec     1.00      0.00     1.00    100.00%
  Latency Distribution
     50%    1.11s 
     75%    1.11s 
     90%    1.11s 
     99%    1.11s 
  4 requests in 3.01s, 468.00B read
Requests/sec:      1.33
Transfer/sec:     155.70B
`;

// 16 requests per write (bench/wrk/pipeline.lua): wrk counts responses, its high percentiles collapse to 0.
const PIPELINED = `Running 1s test @ http://127.0.0.1:39291/api/health
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   302.13us  217.44us   3.97ms   66.63%
    Req/Sec   491.16k    89.75k  680.57k    72.73%
  Latency Distribution
     50%  388.00us
     75%  605.00us
     90%    0.00us
     99%    0.00us
  535696 requests in 1.10s, 82.25MB read
Requests/sec: 486851.64
Transfer/sec:     74.75MB
`;

Deno.test("parses requests/sec and a p99 in microseconds, no errors", () => {
  assert.deepEqual(parseWrkOutput(CLEAN_US), { requestsPerSec: 11188.77, p99Ms: 0.237, socketErrors: 0, non2xx: 0 });
});

Deno.test("reports non-2xx responses and converts milliseconds", () => {
  assert.deepEqual(parseWrkOutput(NON_2XX_MS), {
    requestsPerSec: 41929.33,
    p99Ms: 3.32,
    socketErrors: 0,
    non2xx: 42070,
  });
});

Deno.test("sums the socket error counts", () => {
  const result = parseWrkOutput(SOCKET_ERRORS);
  assert.equal(result.socketErrors, 16);
  assert.equal(result.non2xx, 0);
  assert.equal(result.p99Ms, 1.63);
});

Deno.test("converts seconds", () => {
  const result = parseWrkOutput(SLOW_SECONDS);
  assert.equal(result.requestsPerSec, 1.33);
  assert.equal(result.p99Ms, 1110);
});

Deno.test("gives no p99 when wrk prints 0 (pipelining)", () => {
  assert.deepEqual(parseWrkOutput(PIPELINED), { requestsPerSec: 486851.64, p99Ms: null, socketErrors: 0, non2xx: 0 });
});

Deno.test("throws without the latency distribution", () => {
  const withoutLatency = CLEAN_US.split("\n").filter((line) => !/^\s+\d+%/.test(line)).join("\n");
  assert.throws(() => parseWrkOutput(withoutLatency), /unexpected wrk output/);
});
