/** `dreamos discord`: the board's Discord control plane, until Ctrl+C. */
import { lazy, withClient, workspaceRoot, type Sub } from '../kit';

/* eslint-disable @typescript-eslint/no-require-imports -- a module of this bundle, evaluated on first use */
const discordPlane = lazy(() => require('../../integrations/discord/controlPlane') as typeof import('../../integrations/discord/controlPlane'));
/* eslint-enable @typescript-eslint/no-require-imports */
const runDiscordCommand: typeof import('../../integrations/discord/controlPlane')['runDiscordCommand'] = (...a) => discordPlane().runDiscordCommand(...a);

export const commands: Record<string, Sub> = {
  discord: {
    usage: 'discord   connect the board to Discord until Ctrl+C (settings: <board dir>/discord.json, bot token: DREAMOS_DISCORD_TOKEN)',
    run: (_p, _v, env, io) => withClient(env, (client) => runDiscordCommand(client, { boardDir: env.dir, root: workspaceRoot(env), out: io.out })),
  },
};
