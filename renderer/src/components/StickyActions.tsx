import { Group, type GroupProps } from '@mantine/core';
import { type ReactNode, type RefObject, useEffect } from 'react';

/**
 * The buttons of a long form, kept at the bottom of the scrolling modal or drawer, so the next
 * step is on screen at any window size (1120×780 by default) without scrolling.
 */
export function StickyActions({ children, ...props }: { children: ReactNode } & GroupProps) {
  return (
    <Group
      {...props}
      data-sticky-actions
      py="sm"
      style={{
        position: 'sticky',
        bottom: 0,
        zIndex: 2,
        background: 'var(--mantine-color-body)',
        borderTop: '1px solid var(--mantine-color-default-border)',
      }}
    >
      {children}
    </Group>
  );
}

/** Brings what just appeared (a test result) into view above the sticky actions. */
export function useScrollIntoView(ref: RefObject<HTMLElement | null>, trigger: unknown): void {
  useEffect(() => {
    if (trigger) ref.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [ref, trigger]);
}
