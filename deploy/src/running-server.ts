/** A server process started by this package, stopped by PID. */
export interface RunningServer {
  /** nats://127.0.0.1:PORT or redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Temporary working directory, removed by stop(). */
  readonly dir: string;
  /** SIGTERM, up to 5 s grace, then SIGKILL; removes temporary directories. */
  stop(): Promise<void>;
}
