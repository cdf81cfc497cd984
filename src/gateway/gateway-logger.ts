/** What the gateway logs through: any pino-shaped logger (the node's). */
export interface GatewayLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}
