// How test/reporter.ts marks its lines, so that test/run.ts tells them from what tests print.
export const MARK = "\u0001spawnsafe-test ";
