/** One offending field and what is wrong with it: the `details` entries of every error answer. */
export interface FieldProblem {
  field: string;
  message: string;
}
