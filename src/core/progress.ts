// Progress a long step reports (a stage, the training loop): shown live by the CLI and the queue.

export interface StageProgress {
  /** Short human text, e.g. "epoch 3/10 step 40/400 loss 1.23". */
  message?: string;
  /** 0..1 when known. */
  fraction?: number;
  epoch?: number;
  step?: number;
  totalSteps?: number;
  etaSeconds?: number;
  losses?: Record<string, number>;
  /** Who runs the stage (hostname:pid), set by the queue executor. */
  worker?: string;
}
