/**
 * What the app shows when a page cannot be shown: its code failed to load (the server was
 * updated since this tab opened, so the page's old file is gone, or the network dropped), or
 * it threw while rendering. Without it React unmounts the whole app and the tab goes blank,
 * header and all. The header stays usable; another page (a new location) tries again, and
 * Reload fetches the app anew (a lazy page that failed to load stays failed until then).
 */
import { Component, type ReactNode } from 'react';

interface Props {
  /** The location: a new one clears the failure. */
  at: string;
  children: ReactNode;
}

export class PageBoundary extends Component<Props, { failed: Error | null; at: string }> {
  override state = { failed: null as Error | null, at: this.props.at };

  static getDerivedStateFromError(failed: Error) {
    return { failed };
  }

  static getDerivedStateFromProps(props: Props, state: { failed: Error | null; at: string }) {
    return props.at === state.at ? null : { failed: null, at: props.at };
  }

  override render() {
    const { failed } = this.state;
    if (!failed) return this.props.children;
    const loading = /dynamically imported module|Failed to fetch|Importing a module script failed|error loading/i.test(failed.message);
    return (
      <main className="page">
        <div role="alert" data-testid="page-failed">
          <p>
            {loading
              ? 'This page could not be loaded. scan2print may have been updated since this tab was opened, or the connection dropped.'
              : `This page failed: ${failed.message}`}
          </p>
          <button type="button" className="primary" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </main>
    );
  }
}
