/**
 * A job's outcome, rendered by content type: text (JSON text pretty-printed), images and audio
 * from their base64 data, resource links as links, embedded resources, `structuredContent` as
 * JSON, and a failed or cancelled job's error.
 */
import type { ContentBlock, Job, JobError } from '../client/index.js';
import { h } from './dom.js';

const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp|avif|bmp|svg\+xml)$/i;
const AUDIO_TYPES = /^audio\/(mpeg|ogg|wav|webm|aac|flac|mp4)$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const pretty = (value: unknown): string => JSON.stringify(value, null, 2);

/** Text that is a JSON object or array, pretty-printed; else undefined. */
function asJson(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return undefined;
  try {
    return pretty(JSON.parse(trimmed));
  } catch {
    return undefined;
  }
}

/** A link only for web URLs; any other scheme (file:, javascript:...) is shown as text. */
function link(uri: string, label: string): HTMLElement {
  let url: URL | undefined;
  try {
    url = new URL(uri, location.href);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'https:' || url.protocol === 'http:')) {
    return h('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer' }, label);
  }
  return h('code', {}, label === uri ? uri : `${label} (${uri})`);
}

function block(item: ContentBlock): HTMLElement {
  const record = item as Record<string, unknown>;
  switch (item.type) {
    case 'text': {
      const text = typeof record.text === 'string' ? record.text : '';
      const json = asJson(text);
      return json === undefined
        ? h('pre', { class: 'content-text' }, text)
        : h('pre', { class: 'content-json' }, json);
    }
    case 'image':
    case 'audio': {
      const mime = typeof record.mimeType === 'string' ? record.mimeType : '';
      const data = typeof record.data === 'string' ? record.data.replace(/\s+/g, '') : '';
      const allowed = item.type === 'image' ? IMAGE_TYPES : AUDIO_TYPES;
      if (!allowed.test(mime) || !BASE64.test(data)) {
        return h('p', { class: 'content-other' }, `${item.type} (${mime || 'unknown type'})`);
      }
      const src = `data:${mime};base64,${data}`;
      return item.type === 'image'
        ? h('img', { class: 'content-image', src, alt: `Image result (${mime})` })
        : h('audio', { class: 'content-audio', src, controls: true });
    }
    case 'resource_link': {
      const uri = typeof record.uri === 'string' ? record.uri : '';
      const name = typeof record.name === 'string' && record.name ? record.name : uri;
      const details = [record.mimeType, record.description].filter((v) => typeof v === 'string');
      return h(
        'p',
        { class: 'content-link' },
        'Resource: ',
        link(uri, name),
        details.length ? ` — ${details.join(', ')}` : '',
      );
    }
    case 'resource': {
      const resource = (record.resource ?? {}) as Record<string, unknown>;
      const uri = typeof resource.uri === 'string' ? resource.uri : '';
      const body =
        typeof resource.text === 'string'
          ? h('pre', { class: 'content-text' }, asJson(resource.text) ?? resource.text)
          : h('p', {}, `binary ${typeof resource.mimeType === 'string' ? resource.mimeType : ''}`);
      return h(
        'div',
        { class: 'content-resource' },
        h('p', {}, 'Resource: ', link(uri, uri)),
        body,
      );
    }
    default:
      return h('pre', { class: 'content-json' }, pretty(item));
  }
}

/** A text block that only repeats `structuredContent` as JSON (as tools often send both). */
function repeats(item: ContentBlock, structured: unknown): boolean {
  if (structured === undefined || item.type !== 'text' || typeof item.text !== 'string')
    return false;
  try {
    return JSON.stringify(JSON.parse(item.text)) === JSON.stringify(structured);
  } catch {
    return false;
  }
}

/** A job's result (`CallToolResult`). */
export function renderResult(result: Job['result']): HTMLElement {
  const record = (result ?? {}) as Record<string, unknown>;
  const content = Array.isArray(record.content) ? (record.content as ContentBlock[]) : [];
  const structured = record.structuredContent;
  return h(
    'div',
    { class: 'result' },
    record.isError === true ? h('p', { class: 'error-text' }, 'The tool reported an error:') : null,
    content.filter((item) => !repeats(item, structured)).map(block),
    content.length === 0 && structured === undefined ? h('p', {}, '(empty result)') : null,
    structured !== undefined
      ? h(
          'div',
          { class: 'structured' },
          h('h4', {}, 'Structured content'),
          h('pre', { class: 'content-json' }, pretty(structured)),
        )
      : null,
  );
}

/** A failed or cancelled job's error. */
export function renderError(error: JobError): HTMLElement {
  return h('div', { class: 'job-error' }, h('strong', {}, error.code), ': ', error.message);
}
