/** The part of autocannon 9's programmatic API the benchmarks use (it ships no types). */
declare module 'autocannon' {
  export interface Histogram {
    readonly average: number;
    readonly min: number;
    readonly max: number;
    readonly p50: number;
    readonly p99: number;
  }

  export interface Result {
    readonly requests: Histogram & { readonly total: number };
    readonly latency: Histogram;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly duration: number;
  }

  export interface Options {
    readonly url: string;
    readonly connections?: number;
    readonly duration?: number;
    readonly pipelining?: number;
    readonly workers?: number;
    readonly headers?: Record<string, string>;
  }

  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
