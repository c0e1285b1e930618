// Each screen's heading. It takes focus when the screen is opened from the keyboard, so a
// screen-reader user hears where they are and Tab continues from the screen's top.
import { useEffect, useRef, type ReactNode } from 'react';
import { useDeskContext } from '../app/desk-context.js';

export function ScreenHeading({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  const { nav } = useDeskContext();
  const { focusRequest, claimFocus } = nav;
  useEffect(() => {
    if (focusRequest?.target === 'heading' && claimFocus(focusRequest.seq)) ref.current?.focus();
  }, [focusRequest, claimFocus]);
  return (
    <h1 id="screen-heading" ref={ref} tabIndex={-1} className="screen-heading">
      {children}
    </h1>
  );
}
