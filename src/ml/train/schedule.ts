// The reference's 'linear' lr policy: constant for `epochs`, then linear towards 0 over `epochs_decay`:
// factor = 1 - max(0, epoch + 1 - epochs) / (epochs_decay + 1), epoch counted from 0 (epoch_count 1).
export function lrFactor(epoch: number, epochs: number, epochsDecay: number): number {
  return 1 - Math.max(0, epoch + 1 - epochs) / (epochsDecay + 1);
}
