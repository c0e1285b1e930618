import { describe, expect, it } from 'vitest';
import { acceleratorProblem } from '../src/accelerator.js';

describe('acceleratorProblem (Electron accelerator grammar)', () => {
  it.each([
    '',
    'CommandOrControl+Shift+D',
    'Ctrl+Alt+F12',
    'Super+num5',
    'Alt+Plus',
    'Shift+PageUp',
    'CmdOrCtrl+/',
    'Control+Space',
  ])('accepts %j', (value) => {
    expect(acceleratorProblem(value)).toBeUndefined();
  });

  it.each([
    ['D', /needs at least one modifier/],
    ['Ctrl+', /ends with "\+"/],
    ['Ctrl++', /ends with "\+"/],
    ['Hyper+D', /"Hyper" is not a modifier/],
    ['Ctrl+Ctrl+D', /appears twice/],
    ['Ctrl+Shift+Banana', /"Banana" is not a key/],
    ['Ctrl+F25', /"F25" is not a key/],
  ])('refuses %j', (value, reason) => {
    expect(acceleratorProblem(value)).toMatch(reason);
  });
});
