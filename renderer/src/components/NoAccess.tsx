// The one screen for a user who has no line to control (docs/ui.md §2): what is missing, in
// plain words, and what to ask the administrator; the technical finding in the tooltip.
import type { DeskAccessView } from '../../../common/src/api/views.js';
import { accessWords } from '../lib/plain.js';
import { Icon } from './Icon.js';

export function NoAccess({ access }: { access: DeskAccessView }) {
  const words = accessWords(access);
  return (
    <section
      className="callout callout-warn no-access"
      data-access={access.code}
      aria-labelledby="no-access-title"
    >
      <h2 id="no-access-title">
        <Icon name="alert" /> {words.title}
      </h2>
      <p title={access.detail}>{words.why}</p>
      <p>
        <strong>What to ask: </strong>
        {words.ask}
      </p>
    </section>
  );
}
