/**
 * What the editor journeys (test/editor/*Journey.test.ts) do the way a person does: run the
 * `dreamos` CLI on the workspace's board as agents do, run a command from the palette, reach into
 * the dashboard webview.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { REPO_ROOT } from './codeServer';

const cli = path.join(REPO_ROOT, 'dist', 'cli.js');

/** `dreamos <args> --dir <workspace>/.dreamos`, as the person (no agent id inherited). */
export function dreamos(workspace: string, ...args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args, '--dir', path.join(workspace, '.dreamos')], { encoding: 'utf8', env: { ...process.env, DREAMOS_AGENT_ID: '' } });
}

/** F1, the command's title, Enter — once the palette lists it. */
export async function palette(page: Page, command: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${command}`);
  await page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: command }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** The dashboard's document inside the webview's two iframes. */
export const dashboardFrame = (page: Page): FrameLocator => page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
