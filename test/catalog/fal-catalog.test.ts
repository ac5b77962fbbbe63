// The catalog reader itself: it must read what the declaration file says, or every check built on it could pass by
// reading nothing.
import { describe, expect, it } from 'vitest';
import { enumValues, parseFalCatalog, readFalCatalog } from './fal-catalog.ts';

const SAMPLE = `export type ShotInput = {
    /**
     * The duration of this shot in seconds Default value: \`"5"\`
     */
    duration?: "1" | "2" | "3";
    /**
     * The prompt for this shot.
     */
    prompt: string;
};
export type ProInput = {
    /**
     * URL of the image
     * to start from
     */
    image_url: string | Blob | File;
    cfg_scale?: number;
    generate_audio?: boolean;
    multi_prompt?: Array<ShotInput>;
    voice_ids?: Array<string>;
    shot_type?: string;
    mode?: "auto" | number;
};
export type StandardInput = ProInput;
export type AliasOfAlias = StandardInput;
export type EndpointTypeMap = {
    "acme/video/pro": {
        input: ProInput;
        output: unknown;
    };
    "acme/video/standard": {
        input: AliasOfAlias;
        output: unknown;
    };
};
`;

describe('parseFalCatalog', () => {
  const catalog = parseFalCatalog(SAMPLE, '0.0.0');

  it('lists the endpoints of the EndpointTypeMap', () => {
    expect(catalog.endpointIds()).toEqual(['acme/video/pro', 'acme/video/standard']);
    expect(catalog.input('acme/video/none')).toBeUndefined();
  });

  it('reads each field with its requiredness, type and description, through aliases', () => {
    for (const id of ['acme/video/pro', 'acme/video/standard']) {
      const input = catalog.input(id)!;
      expect(Object.keys(input)).toEqual(['image_url', 'cfg_scale', 'generate_audio', 'multi_prompt', 'voice_ids', 'shot_type', 'mode']);
      expect(input.image_url).toEqual({
        name: 'image_url',
        required: true,
        type: { kind: 'file' },
        description: 'URL of the image to start from',
      });
      expect(input.cfg_scale).toMatchObject({ required: false, type: { kind: 'number' }, description: '' });
      expect(input.generate_audio?.type).toEqual({ kind: 'boolean' });
      expect(input.voice_ids?.type).toEqual({ kind: 'array', of: { kind: 'string' } });
      expect(input.shot_type?.type).toEqual({ kind: 'string' });
      expect(input.mode?.type).toEqual({ kind: 'other', text: '"auto" | number' });
      const shots = input.multi_prompt?.type;
      expect(shots?.kind === 'array' && shots.of.kind === 'object' ? shots.of.name : undefined).toBe('ShotInput');
      const shot = shots?.kind === 'array' && shots.of.kind === 'object' ? shots.of.fields : {};
      expect(enumValues(shot.duration)).toEqual(['1', '2', '3']);
      expect(shot.prompt).toMatchObject({ required: true, description: 'The prompt for this shot.' });
    }
  });

  it('refuses a file without an endpoint map rather than reading nothing', () => {
    expect(() => parseFalCatalog('export type A = {\n    x: string;\n};\n', '0.0.0')).toThrow(/no EndpointTypeMap/);
  });
});

describe('the installed catalog', () => {
  const catalog = readFalCatalog();

  it('is the one @fal-ai/client ships, with its Kling endpoints', () => {
    expect(catalog.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(catalog.file).toMatch(/@fal-ai[\\/]client[\\/]src[\\/]types[\\/]endpoints\.d\.ts$/);
    const kling = catalog.endpointIds().filter((id) => id.startsWith('fal-ai/kling-video/'));
    expect(kling.length).toBeGreaterThan(20);
    const v3 = catalog.input('fal-ai/kling-video/v3/pro/text-to-video')!;
    expect(v3.prompt).toMatchObject({ required: false, type: { kind: 'string' } });
    expect(enumValues(v3.aspect_ratio)).toEqual(['16:9', '9:16', '1:1']);
    expect(enumValues(v3.duration)?.length).toBe(13);
  });
});
