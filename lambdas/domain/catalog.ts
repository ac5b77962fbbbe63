// What `GET /v1/providers` answers (docs/api.md, "Providers and models"): every enabled provider with its models,
// what each model allows, its defaults and limits, and its prices. Built from the same capability maps that
// validation checks requests against and from each provider's own price table (its cost estimate), so the catalog
// cannot say something the API would not do. Pure: the providers are passed in.
import * as z from './zod.ts';
import type { ModelCapabilities, ProviderCapabilities } from './capabilities.ts';
import { type Cost, MODES, Mode, type ResolvedRequest } from './job.ts';

const Quality = z.enum(['std', 'pro']);
const Resolution = z.enum(['720p', '1080p', '4k']);
const AspectRatio = z.enum(['16:9', '9:16', '1:1']);
const Feature = z.enum(['cfgScale', 'audio', 'cameraControl', 'endImage', 'negativePrompt', 'voice']);

/** A price: credits and/or US dollars (either may be absent where the provider's table gives none). */
const Money = z.object({ credits: z.optional(z.number().check(z.nonnegative())), usd: z.optional(z.number().check(z.nonnegative())) });

/**
 * One row of a model's price list: what it costs in these modes, at this quality, resolution and audio setting.
 * `perSecond` where the price is proportional to the length over every duration the model takes, else `byDuration`
 * (the price of each length the table has a figure for).
 */
export const PriceRow = z.object({
  modes: z.array(Mode),
  quality: Quality,
  resolution: z.optional(Resolution),
  audio: z.boolean(),
  perSecond: z.optional(Money),
  byDuration: z.optional(z.array(z.extend(Money, { durationSeconds: z.number().check(z.int(), z.positive()) }))),
});
export type PriceRow = z.infer<typeof PriceRow>;

/** A model as the catalog shows it: its capability map (the functions left out) and its prices. */
export const CatalogModel = z.object({
  id: z.string(),
  modes: z.array(Mode),
  durationsSeconds: z.array(z.number().check(z.int(), z.positive())),
  defaultDurationSeconds: z.number().check(z.int(), z.positive()),
  aspectRatios: z.array(AspectRatio),
  defaultAspectRatio: AspectRatio,
  qualities: z.array(Quality),
  defaultQuality: Quality,
  resolutions: z.optional(z.array(Resolution)),
  features: z.object({
    cfgScale: z.boolean(),
    audio: z.boolean(),
    cameraControl: z.boolean(),
    endImage: z.boolean(),
    negativePrompt: z.boolean(),
    voice: z.boolean(),
    keepOriginalSound: z.boolean(),
  }),
  fps: z.optional(z.array(z.number().check(z.int(), z.positive()))),
  maxReferenceImages: z.optional(z.number().check(z.int(), z.nonnegative())),
  maxEditReferenceImages: z.optional(z.number().check(z.int(), z.nonnegative())),
  voiceForms: z.optional(z.array(z.enum(['description', 'ids']))),
  promptRequiredIn: z.optional(z.array(Mode)),
  promptWithShots: z.boolean(),
  startImageRequired: z.boolean(),
  shotDurationsSeconds: z.optional(z.array(z.number().check(z.int(), z.positive()))),
  maxPromptChars: z.optional(z.number().check(z.int(), z.positive())),
  maxNegativePromptChars: z.optional(z.number().check(z.int(), z.positive())),
  /** Features taken away in some modes or qualities, and why. */
  limits: z.array(
    z.object({
      when: z.object({ modes: z.optional(z.array(Mode)), qualities: z.optional(z.array(Quality)) }),
      without: z.array(Feature),
      because: z.string(),
    }),
  ),
  /** Empty where the provider publishes no price table (its reported cost, if any, is recorded on each job). */
  prices: z.array(PriceRow),
});
export type CatalogModel = z.infer<typeof CatalogModel>;

export const CatalogProvider = z.object({
  id: z.string(),
  /** Whether a job that names no provider goes here. */
  isDefault: z.boolean(),
  defaultModel: z.string(),
  /** Whether the provider calls back (otherwise jobs finish by polling). */
  callbacks: z.boolean(),
  /** Whether a job can be cancelled at the provider. */
  cancel: z.boolean(),
  /** Whether `{url}` inputs must be https. */
  httpsInputs: z.boolean(),
  /** Input images: formats, size in bytes, smallest side in pixels, aspect-ratio range (width / height). */
  imageInput: z.optional(
    z.object({
      types: z.array(z.enum(['jpg', 'png', 'webp'])),
      maxBytes: z.number().check(z.int(), z.positive()),
      minSide: z.number().check(z.int(), z.nonnegative()),
      minAspectRatio: z.number().check(z.positive()),
      maxAspectRatio: z.number().check(z.positive()),
    }),
  ),
  /** Whether the provider has a price table klingflow estimates costs from. */
  priced: z.boolean(),
  models: z.array(CatalogModel),
});
export type CatalogProvider = z.infer<typeof CatalogProvider>;

/** The answer of `GET /v1/providers`. */
export const ProviderCatalog = z.object({ defaultProvider: z.string(), providers: z.array(CatalogProvider) });
export type ProviderCatalog = z.infer<typeof ProviderCatalog>;

/** A provider as the catalog needs it: its id, capability map and (where it has a price table) its estimate. */
export interface CatalogSource {
  id: string;
  capabilities: ProviderCapabilities;
  estimateCost?: (request: ResolvedRequest, mode: Mode) => Omit<Cost, 'estimated'> | undefined;
}

const money = (cost: Omit<Cost, 'estimated'>) => ({
  ...(cost.credits !== undefined ? { credits: cost.credits } : {}),
  ...(cost.usd !== undefined ? { usd: cost.usd } : {}),
});

/** Rounds away float noise from a division (credits per second of 0.1-credit prices, dollars per second). */
const tidy = (n: number) => Math.round(n * 1e6) / 1e6;

/** The price rows of one model, asked of the provider's estimate for every combination the model takes. */
function pricesOf(providerId: string, model: ModelCapabilities, estimate: NonNullable<CatalogSource['estimateCost']>): PriceRow[] {
  const rows: (PriceRow & { key: string })[] = [];
  const resolutions: ('720p' | '1080p' | '4k' | undefined)[] = model.resolutions?.length ? model.resolutions : [undefined];
  const audios = model.audio ? [false, true] : [false];
  const modes = MODES.filter((mode) => model.modes.includes(mode));
  for (const quality of model.qualities)
    for (const resolution of resolutions)
      for (const audio of audios)
        for (const mode of modes) {
          const costs = model.durationsSeconds.map((durationSeconds) => {
            const request: ResolvedRequest = {
              provider: providerId,
              model: model.id,
              durationSeconds,
              aspectRatio: model.aspectRatios[0] ?? '16:9',
              quality,
              audio,
              ...(resolution ? { resolution } : {}),
            };
            return { durationSeconds, cost: estimate(request, mode) };
          });
          const priced = costs.filter((c): c is { durationSeconds: number; cost: Omit<Cost, 'estimated'> } => c.cost !== undefined);
          if (!priced.length) continue;
          const first = priced[0] as (typeof priced)[number];
          const perSecond = {
            ...(first.cost.credits !== undefined ? { credits: tidy(first.cost.credits / first.durationSeconds) } : {}),
            ...(first.cost.usd !== undefined ? { usd: tidy(first.cost.usd / first.durationSeconds) } : {}),
          };
          const proportional =
            priced.length === costs.length &&
            priced.every(
              ({ durationSeconds, cost }) =>
                (cost.credits === undefined
                  ? perSecond.credits === undefined
                  : tidy(cost.credits / durationSeconds) === perSecond.credits) &&
                (cost.usd === undefined ? perSecond.usd === undefined : Math.abs(cost.usd / durationSeconds - (perSecond.usd ?? 0)) < 1e-4),
            );
          const price = proportional
            ? { perSecond }
            : { byDuration: priced.map(({ durationSeconds, cost }) => ({ durationSeconds, ...money(cost) })) };
          const key = JSON.stringify({ quality, resolution, audio, price });
          const same = rows.find((row) => row.key === key);
          if (same) same.modes.push(mode);
          else rows.push({ key, modes: [mode], quality, ...(resolution ? { resolution } : {}), audio, ...price });
        }
  return rows.map(({ key: _key, ...row }) => row);
}

function catalogModel(providerId: string, model: ModelCapabilities, estimate: CatalogSource['estimateCost']): CatalogModel {
  return {
    id: model.id,
    modes: [...model.modes],
    durationsSeconds: [...model.durationsSeconds],
    defaultDurationSeconds: model.defaultDurationSeconds,
    aspectRatios: [...model.aspectRatios],
    defaultAspectRatio: model.aspectRatios[0] ?? '16:9',
    qualities: [...model.qualities],
    defaultQuality: model.qualities[0] ?? 'std',
    ...(model.resolutions ? { resolutions: [...model.resolutions] } : {}),
    features: {
      cfgScale: model.cfgScale,
      audio: model.audio,
      cameraControl: model.cameraControl,
      endImage: model.endImage,
      negativePrompt: model.negativePrompt,
      voice: model.voice ?? false,
      keepOriginalSound: model.keepOriginalSound ?? false,
    },
    ...(model.fps ? { fps: [...model.fps] } : {}),
    ...(model.maxReferenceImages !== undefined ? { maxReferenceImages: model.maxReferenceImages } : {}),
    ...(model.maxEditReferenceImages !== undefined ? { maxEditReferenceImages: model.maxEditReferenceImages } : {}),
    ...(model.voice ? { voiceForms: [...(model.voiceForms ?? ['description', 'ids'])] } : {}),
    ...(model.promptRequiredIn ? { promptRequiredIn: [...model.promptRequiredIn] } : {}),
    promptWithShots: model.promptWithShots ?? true,
    startImageRequired: model.startImageRequired ?? false,
    ...(model.shotDurationsSeconds ? { shotDurationsSeconds: [...model.shotDurationsSeconds] } : {}),
    ...(model.maxPromptChars !== undefined ? { maxPromptChars: model.maxPromptChars } : {}),
    ...(model.maxNegativePromptChars !== undefined ? { maxNegativePromptChars: model.maxNegativePromptChars } : {}),
    limits: (model.limits ?? []).map((limit) => ({
      when: {
        ...(limit.when.modes ? { modes: [...limit.when.modes] } : {}),
        ...(limit.when.qualities ? { qualities: [...limit.when.qualities] } : {}),
      },
      without: [...limit.without],
      because: limit.because,
    })),
    prices: estimate ? pricesOf(providerId, model, estimate) : [],
  };
}

/**
 * The catalog of `sources` (the enabled providers, in the order given), with `defaultProvider` marked. Prices come
 * from each provider's estimate, asked for every mode, quality, resolution, audio setting and duration its models
 * take; rows whose price is the same in several modes are merged. Never throws for a well-formed capability map.
 */
export function providerCatalog(sources: readonly CatalogSource[], defaultProvider: string): ProviderCatalog {
  return {
    defaultProvider,
    providers: sources.map(({ id, capabilities, estimateCost }) => ({
      id,
      isDefault: id === defaultProvider,
      defaultModel: capabilities.defaultModel,
      callbacks: capabilities.callbacks,
      cancel: capabilities.cancel,
      httpsInputs: capabilities.httpsInputs ?? false,
      ...(capabilities.imageInput
        ? {
            imageInput: {
              types: [...capabilities.imageInput.types],
              maxBytes: capabilities.imageInput.maxBytes,
              minSide: capabilities.imageInput.minSide,
              minAspectRatio: capabilities.imageInput.minAspectRatio,
              maxAspectRatio: capabilities.imageInput.maxAspectRatio,
            },
          }
        : {}),
      priced: estimateCost !== undefined,
      models: capabilities.models.map((model) => catalogModel(id, model, estimateCost)),
    })),
  };
}
