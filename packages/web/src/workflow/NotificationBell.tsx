/**
 * The header's notification bell: the unread count on the button, a list of the caller's
 * notifications (newest first) with a link to each case, and "Mark read". Polled every
 * 15 s and whenever it is opened; Escape closes the list and gives focus back to the bell.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { formatTime } from '../cases/format.js';
import { listNotifications, markRead } from './api.js';
import type { NotificationList } from './types.js';
import './workflow.css';

const POLL_MS = 15_000;

export function NotificationBell() {
  const [list, setList] = useState<NotificationList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);

  const refresh = useCallback(() => {
    listNotifications().then(
      (l) => {
        setList(l);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, []);

  useEffect(() => {
    refresh();
    const t = setInterval(refresh, POLL_MS);
    return () => clearInterval(t);
  }, [refresh]);
  useEffect(() => {
    if (open) refresh();
  }, [open, refresh]);

  // Escape closes the list wherever focus is (a "Mark read" button vanishes once used).
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);

  const unread = list?.unread ?? 0;
  return (
    <div className="bell">
      <button
        ref={button}
        type="button"
        data-testid="notifications"
        data-unread={unread}
        aria-expanded={open}
        aria-controls="bell-panel"
        onClick={() => setOpen((o) => !o)}
      >
        Notifications
        <span className="count" data-testid="notifications-unread">
          {unread}
        </span>
        <span className="sr-only"> unread</span>
      </button>
      {open && (
        <div id="bell-panel" ref={panel} tabIndex={-1} className="bell-panel" role="region" aria-label="Notifications">
          {error && <p role="alert">Notifications could not be loaded: {error}</p>}
          {!list ? (
            <p>Loading…</p>
          ) : list.items.length === 0 ? (
            <p>No notifications.</p>
          ) : (
            <ul data-testid="notification-list">
              {list.items.map((n) => (
                <li key={n.id} className={n.read ? 'read' : 'unread'} data-testid="notification" data-read={n.read ? 'true' : 'false'}>
                  {n.caseId ? (
                    <Link
                      href={`/cases/${n.caseId}`}
                      onClick={() => {
                        // Opening what it points to is reading it.
                        setOpen(false);
                        if (!n.read) void markRead(n.id).then(refresh, () => undefined);
                      }}
                    >
                      {n.text}
                    </Link>
                  ) : (
                    n.text
                  )}
                  <span className="hint"> {n.createdAt ? formatTime(n.createdAt) : ''}</span>
                  {n.detail && <div className="hint">{n.detail}</div>}
                  {!n.read && (
                    <button
                      type="button"
                      data-testid="notification-read"
                      aria-label={`Mark read: ${n.text}`}
                      onClick={() => {
                        // Focus stays in the list when this button goes away.
                        panel.current?.focus();
                        void markRead(n.id).then(refresh, (e: Error) => setError(e.message));
                      }}
                    >
                      Mark read
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
