// A promise's answer, or a rejection once `ms` have passed without one (the timer is cleared either way).
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'answer'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
