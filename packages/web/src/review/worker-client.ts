/** A request without its id (distributed over a union of requests). */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A worker called like a function: each request carries an id and resolves with the reply of the same id. */
export class WorkerClient<Req extends { id: number }, Res extends { id: number; type: string }> {
  private next = 1;
  private waiting = new Map<number, { resolve: (r: Res) => void; reject: (e: Error) => void }>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (e: MessageEvent<Res>) => {
      const w = this.waiting.get(e.data.id);
      if (!w) return;
      this.waiting.delete(e.data.id);
      if (e.data.type === 'error') w.reject(new Error((e.data as unknown as { message: string }).message));
      else w.resolve(e.data);
    };
    worker.onerror = (e) => {
      for (const w of this.waiting.values()) w.reject(new Error(e.message || 'the worker failed'));
      this.waiting.clear();
    };
  }

  call<R extends Res>(req: WithoutId<Req>, transfer: Transferable[] = []): Promise<R> {
    const id = this.next++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: Res) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const w of this.waiting.values()) w.reject(new Error('closed'));
    this.waiting.clear();
  }
}
