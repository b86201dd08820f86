// Text as Slack sends it (entities, and <…> around links, channels and people)
// read back as people wrote it: exact outputs, no Slack server needed.
import { describe, expect, it } from 'vitest';
import { accountValue } from '../src/chat/slack/blocks.js';
import { commandText, mentionedIds, messageText } from '../src/chat/slack/markup.js';

const byName = (id: string, label: string | undefined) => ({ U1: 'Alice Wong' })[id] ?? label ?? id;

describe('Slack markup read back', () => {
  it('decodes &amp; &lt; &gt; once, however the text nests them', () => {
    expect(commandText('R&amp;D &lt;urgent&gt; 5 &gt; 3')).toBe('R&D <urgent> 5 > 3');
    // Someone who typed "&lt;" literally is sent "&amp;lt;": it stays "&lt;".
    expect(commandText('a &amp;lt; b')).toBe('a &lt; b');
    expect(commandText('&amp;amp; &quot; &#39;')).toBe('&amp; &quot; &#39;');
  });

  it('reads links as their label and address, or the address alone', () => {
    expect(commandText('see <https://x.example/a?b=1&amp;c=2|the form> or <https://y.example>')).toBe('see the form (https://x.example/a?b=1&c=2) or https://y.example');
    expect(commandText('<https://y.example|https://y.example> <mailto:li@example.com|li@example.com> <mailto:li@example.com>')).toBe(
      'https://y.example li@example.com li@example.com',
    );
    expect(commandText('<https://x.example|R&amp;D &lt;3&gt;>')).toBe('R&D <3> (https://x.example)');
  });

  it('keeps people, channels and special mentions in command text, for the engine', () => {
    expect(commandText('/complaint assign C-1 <@U1|alice> in <#C9|ops> <!here>')).toBe('/complaint assign C-1 <@U1|alice> in <#C9|ops> <!here>');
  });

  it('reads people by name, channels by theirs and special mentions as words in a message', () => {
    expect(messageText('<@U1> and <@U7|zed> and <@U8> in <#C9|ops> or <#C10>', byName)).toBe('@Alice Wong and @zed and @U8 in #ops or #C10');
    expect(messageText('<!here> <!channel> <!subteam^S1|@leads> <!date^1700000000^{date}|14 Nov 2023>', byName)).toBe('@here @channel @leads 14 Nov 2023');
    expect(mentionedIds('<@U1> <@U1|a> <@W2> <#C1>')).toEqual(['U1', 'W2']);
  });

  it('leaves text without markup, and a lone < or >, as it is', () => {
    for (const s of ['', 'plain text', '客户说：下周五前报价', '<>', 'a < b', '<@>']) expect(commandText(s)).toBe(s);
  });

  it("an account option's value is its name when it fits, else its id; without an id, its start, never half a character", () => {
    expect(accountValue('Acme', 7)).toBe('Acme');
    expect(accountValue('b'.repeat(200), 7)).toBe('id:7');
    // A name that reads as an id is an id too.
    expect(accountValue('id:12', 7)).toBe('id:7');
    const long = `${'a'.repeat(149)}👍👍`;
    expect(accountValue(long)).toBe('a'.repeat(149));
    expect(accountValue('b'.repeat(200))).toBe('b'.repeat(150));
  });
});
