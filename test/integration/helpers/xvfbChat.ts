/**
 * Stand-ins for agent chat windows: headed Chromium windows (Debian's /usr/bin/chromium through
 * playwright-core; a browser is never downloaded) on the test display, each a page with a chat
 * input that records exactly what arrived and what was sent. The send chord is per window, like
 * the chat inputs it stands for: "enter" (Shift+Enter is a newline) or "ctrl+enter".
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { XDisplay } from './xvfb';

export const CHROMIUM = '/usr/bin/chromium';

export interface ChatWindow {
  readonly page: Page;
  readonly name: string;
  /** Messages sent with the send chord, oldest first. */
  sent(): Promise<string[]>;
  /** What is in the input now. */
  draft(): Promise<string>;
  setTitle(title: string): Promise<void>;
  /** The input's centre in screen coordinates (the window's screen position + the page's chrome). */
  inputCenter(): Promise<{ x: number; y: number }>;
  /** Covers the input with a dark "dialog", as a modal or another panel would. */
  cover(on: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface ChatBrowser {
  readonly browser: Browser;
  open(name: string, opts?: { sendChord?: 'enter' | 'ctrl+enter' }): Promise<ChatWindow>;
  close(): Promise<void>;
}

const PAGE = (title: string, sendChord: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>
  body { margin: 0; font: 14px sans-serif; background: #1e1e1e; color: #ddd; }
  header { padding: 12px 16px; background: #333; font-weight: bold; }
  #log { padding: 12px 16px; height: 120px; overflow: hidden; }
  #input { position: absolute; left: 16px; right: 16px; bottom: 24px; height: 72px; background: #fff; color: #000;
           border: 2px solid #0a84ff; border-radius: 6px; font: 14px monospace; padding: 6px; box-sizing: border-box; resize: none; }
  #cover { display: none; position: absolute; left: 0; right: 0; bottom: 0; height: 180px; background: #7a1010; }
</style></head>
<body><header>${title}</header><div id="log"></div>
<textarea id="input" spellcheck="false"></textarea><div id="cover">A dialog</div>
<script>
  window.sent = [];
  const input = document.getElementById('input');
  const chord = ${JSON.stringify(sendChord)};
  input.addEventListener('keydown', (e) => {
    const isSend = e.key === 'Enter' && (chord === 'enter' ? !e.shiftKey && !e.ctrlKey && !e.metaKey : e.ctrlKey || e.metaKey);
    if (!isSend) return;
    e.preventDefault();
    window.sent.push(input.value);
    document.getElementById('log').textContent = 'sent ' + window.sent.length;
    input.value = '';
  });
</script></body></html>`;

export async function launchChatBrowser(x: XDisplay): Promise<ChatBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Desktop tests need Chromium at ${CHROMIUM}. Install it: sudo apt-get install -y chromium`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: false,
    env: Object.fromEntries(Object.entries(x.env).filter((e): e is [string, string] => typeof e[1] === 'string')),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--window-size=700,520'],
  });
  const windows: ChatWindow[] = [];
  return {
    browser,
    async open(name, opts = {}) {
      const ctx = await browser.newContext({ viewport: null });
      const page = await ctx.newPage();
      await page.setContent(PAGE(name, opts.sendChord ?? 'enter'));
      const w: ChatWindow = {
        page,
        name,
        sent: () => page.evaluate(() => (window as unknown as { sent: string[] }).sent.slice()),
        draft: () => page.evaluate(() => (document.getElementById('input') as HTMLTextAreaElement).value),
        setTitle: (t) => page.evaluate((tt) => void (document.title = tt), t),
        inputCenter: () =>
          page.evaluate(() => {
            const r = document.getElementById('input')!.getBoundingClientRect();
            const side = (window.outerWidth - window.innerWidth) / 2;
            const top = window.outerHeight - window.innerHeight - side;
            return { x: Math.round(window.screenX + side + r.left + r.width / 2), y: Math.round(window.screenY + top + r.top + r.height / 2) };
          }),
        cover: async (on) => {
          // Resolves once the change is on the screen: two animation frames, then the X server's copy.
          await page.evaluate(
            (o) =>
              new Promise<void>((resolve) => {
                document.getElementById('cover')!.style.display = o ? 'block' : 'none';
                requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
              }),
            on,
          );
          await new Promise((r) => setTimeout(r, 150));
        },
        close: () => ctx.close(),
      };
      windows.push(w);
      return w;
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}
