import type { Activity } from '../engine/api.js';

function describe(a: Activity): { text: string; percent: number | undefined } | undefined {
  switch (a.kind) {
    case 'idle':
      return undefined;
    case 'loading':
      return { text: 'Loading the cryptography library…', percent: undefined };
    case 'kdf':
      return { text: `${a.what} (this takes a moment)…`, percent: undefined };
    case 'postage': {
      // the expected count is an average: a stamp can take longer, so never show 100%
      const percent =
        a.expected > 1 ? Math.min(99, Math.floor((100 * a.tried) / a.expected)) : undefined;
      return {
        text: `Stamping postage (proof of work, keeps spam away)${percent !== undefined ? ` ${String(percent)}%` : '…'}`,
        percent,
      };
    }
    case 'network':
      return { text: `${a.what}…`, percent: undefined };
    case 'verify':
      return {
        text: `Comparing safety numbers with @${a.with}: waiting for them to run the check…`,
        percent: undefined,
      };
  }
}

/** What the engine is doing, announced to screen readers and shown as a bar. */
export function ActivityBar({ activity }: { readonly activity: Activity }) {
  const d = describe(activity);
  // background mailbox checks are not worth announcing
  const quiet = activity.kind === 'network' && activity.what === 'Checking your mailboxes';
  return (
    <div class="activity" role="status" aria-live="polite">
      {d && !quiet ? (
        <div class="activity-inner">
          <span class="activity-text">{d.text}</span>
          {d.percent !== undefined ? (
            <progress class="activity-progress" max={100} value={d.percent} aria-hidden="true" />
          ) : (
            <progress class="activity-progress" aria-hidden="true" />
          )}
        </div>
      ) : null}
    </div>
  );
}
