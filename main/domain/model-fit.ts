// Whether a project's images are the kind the chosen model knows (zod-free shape shared with the renderer).

export interface ModelFitT {
  model: string;
  /** 'fits': in the model's domain; 'outside': the images look unlike anything the model knows; 'not-assessed': the model ships no reference. */
  verdict: 'fits' | 'outside' | 'not-assessed';
  /** Embedded items the check read (an even sample of the project). */
  sampled: number;
  /** Median top-1 zero-shot probability over the model's known classes, or null when not assessed. */
  medianTop1: number | null;
  /** The model's own threshold (its registry entry), or null. */
  threshold: number | null;
  /** One line for the curator. */
  message: string;
}
