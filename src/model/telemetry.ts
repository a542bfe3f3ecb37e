/** A telemetry sample as it travels through the pipeline (schemas/telemetry.avsc). */
export interface Telemetry {
  /** Event time, epoch milliseconds. */
  ts: number;
  /** The emitting entity: a worker, service, tenant or host id. Also the Kafka key. */
  source: string;
  metric: string;
  value: number;
  tags: Record<string, string>;
}
