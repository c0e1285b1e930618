// The notice area: app.notice events and refused actions. Pure list operations.
import type { NoticeView } from '../../../common/src/api/views.js';

export interface UiNotice extends NoticeView {
  id: number;
  /** The technical original when the message was put in plain words (a tooltip). */
  detail?: string;
  /** How many times the same notice arrived in a row (a flapping link says so once). */
  repeat: number;
}

export const MAX_NOTICES = 4;
/** Info notices fade after this; warnings and errors stay until dismissed. */
export const INFO_NOTICE_MS = 6_000;

export function addNotice(
  list: readonly UiNotice[],
  notice: NoticeView & { detail?: string },
  id: number,
): UiNotice[] {
  const last = list[list.length - 1];
  if (
    last !== undefined &&
    last.level === notice.level &&
    last.message === notice.message &&
    last.code === notice.code
  ) {
    return [...list.slice(0, -1), { ...last, at: notice.at, repeat: last.repeat + 1 }];
  }
  const next = [...list, { ...notice, id, repeat: 1 }];
  return next.length > MAX_NOTICES ? next.slice(next.length - MAX_NOTICES) : next;
}

export const removeNotice = (list: readonly UiNotice[], id: number): UiNotice[] =>
  list.filter((n) => n.id !== id);
