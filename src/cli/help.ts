/**
 * The layout of --help: a command's own flags first, then the global ones
 * under "Global Options:"; a command of commands (`xc`, `xc deploy`) lists its
 * commands before any flag, so they are not buried under the settings.
 */
import { Help, Option, type HelpConfiguration } from 'commander';

// Shown on `xc --help` only, never registered: main() answers a lone `-V` / `--version` before parsing,
// because a registered --version would swallow `xc deploy record --version V` (program options parse anywhere).
const VERSION_OPTION = new Option('-V, --version', 'print the version number');

const FLAG_HEADINGS = /^(Arguments|Options|Global Options):/;

export const helpConfiguration: HelpConfiguration = {
  showGlobalOptions: true,
  visibleOptions(this: Help, cmd) {
    const own = Help.prototype.visibleOptions.call(this, cmd);
    return cmd.parent ? own : [VERSION_OPTION, ...own];
  },
  formatHelp(this: Help, cmd, helper) {
    const text = Help.prototype.formatHelp.call(this, cmd, helper);
    if (cmd.commands.length === 0) return text;
    // Sections are separated by a blank line; move "Commands:" before the first section of flags.
    const sections = text.split('\n\n');
    const commands = sections.findIndex((s) => s.startsWith('Commands:'));
    const firstFlags = sections.findIndex((s) => FLAG_HEADINGS.test(s));
    if (commands < 0 || firstFlags < 0 || commands < firstFlags) return text;
    const [moved] = sections.splice(commands, 1);
    sections.splice(firstFlags, 0, moved!.replace(/\n+$/, ''));
    return sections.join('\n\n').replace(/\n*$/, '\n');
  },
};
