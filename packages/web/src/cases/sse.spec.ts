import { describe, expect, it } from 'vitest';
import { backoffMs, SseParser } from './sse.js';

describe('SseParser', () => {
  it('reads events split anywhere across chunks, with comments, CRLF and multi-line data', () => {
    const text = ': keep-alive\r\n\r\nevent: case\r\ndata: {"id":"a",\r\ndata: "x":1}\r\n\r\nevent: job\ndata: {"state":"running"}\nid: 7\n\ndata: plain\n\n';
    const whole = new SseParser().feed(text);
    expect(whole).toEqual([
      { event: 'case', data: '{"id":"a",\n"x":1}' },
      { event: 'job', data: '{"state":"running"}', id: '7' },
      { event: 'message', data: 'plain', id: '7' },
    ]);
    // Every split point gives the same events.
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      expect([...p.feed(text.slice(0, cut)), ...p.feed(text.slice(cut))]).toEqual(whole);
    }
  });

  it('holds an unfinished event until its blank line arrives', () => {
    const p = new SseParser();
    expect(p.feed('event: case\ndata: {}\n')).toEqual([]);
    expect(p.feed('\n')).toEqual([{ event: 'case', data: '{}' }]);
  });

  it('ignores an event with no data and keeps a field without a space after the colon', () => {
    const p = new SseParser();
    expect(p.feed('event: case\n\nevent:job\ndata:1\n\n')).toEqual([{ event: 'job', data: '1' }]);
  });
});

describe('backoffMs', () => {
  it('doubles from 1 s to a 30 s cap, with at most 20 % jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoffMs(n, () => 0))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffMs(0, () => 1)).toBe(1200);
    expect(backoffMs(-3, () => 0)).toBe(1000);
  });
});
