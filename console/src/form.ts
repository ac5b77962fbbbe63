// The submit form, built from the providers' capability maps (`GET /v1/providers`): a provider's models, and for
// the chosen model only the durations, aspect ratios, qualities, resolutions, frame rates and features it takes.
// A 422 from the API is shown beside the fields it names.
import { ApiError, type Api, type Catalog, type ErrorDetail, type Model, type Provider, takes } from './api.ts';
import { announce, byId, h, replaceChildren } from './dom.ts';

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
const MODE_NAMES: Record<string, string> = {
  'text-to-video': 'text',
  'image-to-video': 'an image',
  'reference-to-video': 'reference images',
  'video-edit': 'a video (edit)',
  'multi-shot': 'shots',
};

export interface FormHooks {
  /** Called with the new job's id once the API has accepted it (or, for an upload, once the image is stored). */
  submitted(jobId: string, prompt: string): void;
}

/** Where a problem of an upload request is shown: its file's problems at the image, its options' at their field. */
const uploadPath = (path: string): string =>
  ['fileName', 'contentType', 'bytes'].includes(path) ? 'image' : path.replace(/^options\./, '');

/** A labelled field with its hint and its error line, tied to the control by aria-describedby. */
function field(name: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = `f-${name}`;
  control.id = id;
  const describedBy = [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', describedBy);
  return h(
    'div',
    { class: 'field', 'data-field': name },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'field-error', id: `${id}-error`, hidden: true }),
  );
}

function select(name: string, options: { value: string; label: string }[], selected?: string): HTMLSelectElement {
  return h('select', { name }, ...options.map((o) => h('option', { value: o.value, selected: o.value === selected }, o.label)));
}

export class SubmitForm {
  private catalog: Catalog = { defaultProvider: '', providers: [] };
  private file: File | undefined;
  private readonly form = byId<HTMLFormElement>('create-form');
  private readonly provider = byId<HTMLSelectElement>('f-provider');
  private readonly model = byId<HTMLSelectElement>('f-model');
  private readonly prompt = byId<HTMLTextAreaElement>('f-prompt');
  private readonly options = byId('f-options');
  private readonly extras = byId('f-extras');
  private readonly imageSet = byId<HTMLFieldSetElement>('f-image-set');
  private readonly imageFile = byId<HTMLInputElement>('f-image-file');
  private readonly dropzone = byId('dropzone');
  private readonly chosen = byId('f-image-chosen');
  private readonly status = byId('form-status');
  private readonly submit = byId<HTMLButtonElement>('f-submit');

  constructor(
    private readonly api: Api,
    private readonly hooks: FormHooks,
  ) {
    this.provider.addEventListener('change', () => this.showModels());
    this.model.addEventListener('change', () => this.showOptions());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
    this.imageFile.addEventListener('change', () => this.choose(this.imageFile.files?.[0]));
    for (const type of ['dragenter', 'dragover']) {
      this.dropzone.addEventListener(type, (event) => {
        event.preventDefault();
        this.dropzone.classList.add('dragging');
      });
    }
    for (const type of ['dragleave', 'drop']) this.dropzone.addEventListener(type, () => this.dropzone.classList.remove('dragging'));
    this.dropzone.addEventListener('drop', (event) => {
      event.preventDefault();
      this.choose((event as DragEvent).dataTransfer?.files[0]);
    });
  }

  /** Fills the provider and model choices from the catalog. */
  load(catalog: Catalog): void {
    this.catalog = catalog;
    replaceChildren(
      this.provider,
      ...catalog.providers.map((p) => h('option', { value: p.id, selected: p.id === catalog.defaultProvider }, p.id)),
    );
    this.provider.disabled = catalog.providers.length === 0;
    this.submit.disabled = catalog.providers.length === 0;
    this.showModels();
  }

  private get chosenProvider(): Provider | undefined {
    return this.catalog.providers.find((p) => p.id === this.provider.value);
  }

  private get chosenModel(): Model | undefined {
    return this.chosenProvider?.models.find((m) => m.id === this.model.value);
  }

  private showModels(): void {
    const provider = this.chosenProvider;
    replaceChildren(
      this.model,
      ...(provider?.models ?? []).map((m) => h('option', { value: m.id, selected: m.id === provider?.defaultModel }, m.id)),
    );
    this.showOptions();
  }

  /** The chosen model's own choices: nothing the model does not take is offered. */
  private showOptions(): void {
    const model = this.chosenModel;
    this.clearErrors();
    if (!model) {
      replaceChildren(this.options);
      replaceChildren(this.extras);
      return;
    }
    byId('f-model-hint').textContent = `Makes video from ${model.modes.map((mode) => MODE_NAMES[mode] ?? mode).join(', ')}`;
    const durations = model.durationsSeconds.map((d) => ({ value: String(d), label: `${d} s` }));
    replaceChildren(
      this.options,
      field('durationSeconds', 'Duration', select('durationSeconds', durations, String(model.defaultDurationSeconds))),
      field(
        'aspectRatio',
        'Aspect ratio',
        select(
          'aspectRatio',
          model.aspectRatios.map((a) => ({ value: a, label: a })),
          model.aspectRatios[0],
        ),
      ),
      field(
        'quality',
        'Quality',
        select(
          'quality',
          model.qualities.map((q) => ({ value: q, label: q === 'pro' ? 'Pro' : 'Standard' })),
          model.defaultQuality ?? model.qualities[0],
        ),
      ),
      model.resolutions?.length
        ? field(
            'resolution',
            'Resolution',
            select('resolution', [{ value: '', label: 'Default' }, ...model.resolutions.map((r) => ({ value: r, label: r }))]),
          )
        : null,
      model.fps?.length
        ? field(
            'fps',
            'Frame rate',
            select('fps', [{ value: '', label: 'Default' }, ...model.fps.map((f) => ({ value: String(f), label: `${f} fps` }))]),
          )
        : null,
    );
    replaceChildren(
      this.extras,
      takes(model, 'negativePrompt')
        ? field(
            'negativePrompt',
            'Negative prompt',
            h('input', { type: 'text', name: 'negativePrompt', autocomplete: 'off' }),
            'What the video should not show',
          )
        : null,
      takes(model, 'cfgScale')
        ? field(
            'cfgScale',
            'Prompt adherence (cfgScale)',
            h('input', {
              type: 'number',
              name: 'cfgScale',
              min: 0,
              max: 1,
              step: 0.05,
              placeholder: "model's default",
              inputmode: 'decimal',
            }),
            '0 to 1; higher follows the prompt more closely',
          )
        : null,
      takes(model, 'audio')
        ? h(
            'div',
            { class: 'field check', 'data-field': 'audio' },
            h('input', { type: 'checkbox', id: 'f-audio', name: 'audio', 'aria-describedby': 'f-audio-error' }),
            h('label', { for: 'f-audio' }, 'Generate sound'),
            h('p', { class: 'field-error', id: 'f-audio-error', hidden: true }),
          )
        : null,
    );
    const takesImage = model.modes.includes('image-to-video');
    const needsImage = takesImage && !model.modes.includes('text-to-video');
    this.imageSet.hidden = !takesImage;
    byId('f-image-legend').textContent = needsImage ? 'Start frame (required by this model)' : 'Start frame (optional)';
    this.prompt.maxLength = model.maxPromptChars ?? 2500;
    this.prompt.setAttribute('aria-required', String(!needsImage || (model.promptRequiredIn ?? []).includes('image-to-video')));
  }

  private choose(file: File | undefined): void {
    this.setError('image', undefined);
    if (!file) return;
    if (!IMAGE_TYPES.includes(file.type)) {
      this.setError('image', `${file.name} is not a PNG, JPEG or WebP image`);
      return;
    }
    this.file = file;
    const preview = h('img', { src: URL.createObjectURL(file), alt: '', class: 'chosen-thumb' });
    const remove = h('button', { type: 'button', class: 'link' }, 'Remove');
    remove.addEventListener('click', () => {
      this.forgetFile();
      this.imageFile.focus();
    });
    replaceChildren(this.chosen, preview, h('span', {}, `${file.name} · ${Math.ceil(file.size / 1024)} KB`), remove);
    announce(`Image ${file.name} chosen`);
  }

  /** Drops the chosen image (removed, or uploaded: one upload is one job). */
  private forgetFile(): void {
    this.file = undefined;
    this.imageFile.value = '';
    replaceChildren(this.chosen);
  }

  /** The create body from the form: only fields that are set, numbers as numbers. */
  private body(): Record<string, unknown> {
    const data = new FormData(this.form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const body: Record<string, unknown> = { provider: text('provider'), model: text('model') };
    if (text('prompt')) body.prompt = text('prompt');
    if (text('durationSeconds')) body.durationSeconds = Number(text('durationSeconds'));
    for (const name of ['aspectRatio', 'quality', 'resolution', 'negativePrompt']) if (text(name)) body[name] = text(name);
    if (text('fps')) body.fps = Number(text('fps'));
    if (text('cfgScale')) body.cfgScale = Number(text('cfgScale'));
    if (data.get('audio') === 'on') body.audio = true;
    if (!this.imageSet.hidden && text('imageUrl')) body.image = { url: text('imageUrl') };
    return body;
  }

  private async send(): Promise<void> {
    // aria-disabled while sending, not disabled: a disabled button would drop the keyboard focus.
    if (this.submit.getAttribute('aria-disabled') === 'true') return;
    this.clearErrors();
    const body = this.body();
    this.submit.setAttribute('aria-disabled', 'true');
    this.status.textContent = 'Submitting…';
    const file = this.imageSet.hidden ? undefined : this.file;
    try {
      if (file) {
        // The upload starts the job: its options travel with the ticket, the image is the input.
        this.status.textContent = `Uploading ${file.name}…`;
        const { image: _url, ...options } = body;
        const ticket = await this.api.upload(file, options);
        this.forgetFile();
        this.status.textContent = `Image uploaded; job ${ticket.jobId} starts`;
        this.hooks.submitted(ticket.jobId, String(body.prompt ?? ''));
      } else {
        const created = await this.api.createJob(body);
        this.status.textContent = `Job accepted: ${created.jobId}`;
        this.hooks.submitted(created.jobId, String(body.prompt ?? ''));
      }
    } catch (error) {
      this.showError(error, file !== undefined);
    } finally {
      this.submit.removeAttribute('aria-disabled');
    }
  }

  private showError(error: unknown, upload: boolean): void {
    if (!(error instanceof ApiError)) {
      this.status.textContent = `Not submitted: ${String(error)}`;
      return;
    }
    if (upload && error.status === 404 && error.details.some((d) => d.path === 'route')) {
      this.setError('image', 'this API takes no uploads (it has no POST /v1/uploads); give an image URL instead');
    }
    const unplaced: ErrorDetail[] = [];
    for (const detail of error.details) {
      const path = upload ? uploadPath(detail.path) : detail.path;
      if (!this.setError(path.split('.')[0] ?? '', detail.message)) unplaced.push(detail);
    }
    const rest = unplaced.map((d) => `${d.path}: ${d.message}`).join('; ');
    this.status.textContent = `Not submitted: ${error.message}${rest ? ` (${rest})` : ''}`;
    const first = this.form.querySelector<HTMLElement>('[aria-invalid="true"]');
    first?.focus();
  }

  /** Shows (or clears) the error of the field named `name`; false when the form has no such field. */
  private setError(name: string, message: string | undefined): boolean {
    const container = this.form.querySelector<HTMLElement>(`[data-field="${CSS.escape(name)}"]`);
    if (!container) return false;
    const line = container.querySelector<HTMLElement>('.field-error');
    const control = container.querySelector<HTMLElement>('input, select, textarea');
    if (line) {
      line.textContent = message ?? '';
      line.hidden = !message;
    }
    if (message) control?.setAttribute('aria-invalid', 'true');
    else control?.removeAttribute('aria-invalid');
    return true;
  }

  private clearErrors(): void {
    for (const container of this.form.querySelectorAll<HTMLElement>('[data-field]'))
      this.setError(container.dataset.field ?? '', undefined);
  }
}
