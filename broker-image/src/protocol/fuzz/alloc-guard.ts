// Watches Buffer allocations made through the public API while a function runs,
// so a property can assert that decoding an input of n bytes never asked for a
// buffer larger than a bound derived from n (a length field trusted before it
// was checked against the bytes that remain shows up here as a huge request).
// Allocations above the bound are recorded and refused with an error that is
// neither a ProtocolError nor a KafkaError, so the property fails on them.

type Alloc = (size: number, ...rest: any[]) => Buffer;

const originals = {
  alloc: Buffer.alloc as Alloc,
  allocUnsafe: Buffer.allocUnsafe as Alloc,
  allocUnsafeSlow: Buffer.allocUnsafeSlow as Alloc,
};

export class AllocationTooLarge extends Error {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(`allocation of ${size} bytes above the input's bound of ${limit}`);
    this.name = 'AllocationTooLarge';
    this.size = size;
    this.limit = limit;
  }
}

let limit = Infinity;
let largest = 0;

function guarded(original: Alloc): Alloc {
  return function (this: unknown, size: number, ...rest: any[]) {
    if (typeof size === 'number') {
      if (size > largest) largest = size;
      if (size > limit) throw new AllocationTooLarge(size, limit);
    }
    return original.call(Buffer, size, ...rest);
  };
}

/** Runs fn with Buffer.alloc/allocUnsafe/allocUnsafeSlow capped at `max` bytes; returns fn's result and the largest request. */
export function withAllocationLimit<T>(max: number, fn: () => T): { value: T; largest: number } {
  const saved = limit;
  limit = max;
  largest = 0;
  Buffer.alloc = guarded(originals.alloc) as typeof Buffer.alloc;
  Buffer.allocUnsafe = guarded(originals.allocUnsafe) as typeof Buffer.allocUnsafe;
  Buffer.allocUnsafeSlow = guarded(originals.allocUnsafeSlow) as typeof Buffer.allocUnsafeSlow;
  try {
    const value = fn();
    return { value, largest };
  } finally {
    limit = saved;
    Buffer.alloc = originals.alloc as typeof Buffer.alloc;
    Buffer.allocUnsafe = originals.allocUnsafe as typeof Buffer.allocUnsafe;
    Buffer.allocUnsafeSlow = originals.allocUnsafeSlow as typeof Buffer.allocUnsafeSlow;
  }
}
