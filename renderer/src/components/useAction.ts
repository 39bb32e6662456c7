import { useCallback, useState } from 'react';
import { errorText } from '../api';

/**
 * Runs the actions that a page's buttons start: whether one is under way (for their `loading`),
 * and why the last one failed, in the user's words. Each run clears the previous failure first.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await work();
    } catch (error) {
      setProblem(errorText(error));
    } finally {
      setBusy(false);
    }
  }, []);
  const dismiss = useCallback(() => setProblem(null), []);

  return { run, busy, problem, dismiss };
}
