/**
 * rabbitmqadmin's configuration files, read as profiles to import: the classic Python
 * rabbitmqadmin's INI file (~/.rabbitmqadmin.conf, read with Python's configparser: [node]
 * sections of hostname, port, username, password, vhost, ssl, ssl_*_file…) and rabbitmqadmin
 * v2's TOML file ([node] tables of hostname, port, username, password, virtual_host, tls or
 * scheme, path_prefix, base_uri, *_path…). Both name only the management (HTTP API) port; the
 * AMQP port becomes RabbitMQ's default, and each profile says so in its notes.
 */
import { join } from 'node:path';
import { TomlError, parse as parseToml } from 'smol-toml';
import { type ProfileSettings, profileInputSchema } from '../../shared/profile.js';

/** A file that cannot be imported, with the line or field to fix. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** One profile a file offers, before it is compared with the app's. */
export interface TransferCandidate {
  /** Where in the file it is, e.g. "[prod], line 4". */
  origin: string;
  /** Null when the file's values cannot make a profile (see problem). */
  settings: ProfileSettings | null;
  /** In clear from a rabbitmqadmin file; null when the file has none (or keeps it encrypted). */
  password: string | null;
  /** What was assumed or left out, in plain words. */
  notes: string[];
  /** Why this one cannot be imported, naming the line and field. */
  problem?: string;
}

export type RabbitmqadminFormat = 'rabbitmqadmin-ini' | 'rabbitmqadmin-toml';

/** Where the two rabbitmqadmin versions keep their configuration by default. */
export function rabbitmqadminLocations(home: string, env: Record<string, string | undefined>): string[] {
  return [join(home, '.rabbitmqadmin.conf'), join(env.XDG_CONFIG_HOME || join(home, '.config'), 'rabbitmqadmin.conf')];
}

/**
 * Reads either rabbitmqadmin's file: TOML when it parses as TOML (v2), else the classic INI.
 * Throws ImportFileError naming the line when it is neither.
 */
export function parseRabbitmqadminConfig(text: string): { format: RabbitmqadminFormat; candidates: TransferCandidate[] } {
  const clean = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let toml: Record<string, unknown> | null = null;
  let tomlError: TomlError | null = null;
  try {
    toml = parseToml(clean) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    tomlError = error;
  }
  if (toml) return { format: 'rabbitmqadmin-toml', candidates: readTomlNodes(toml, clean) };
  // Quoted values are TOML's way (configparser would keep the quotes): its error is the useful one.
  if (tomlError && /^\s*[\w.-]+\s*=\s*["']/m.test(clean)) {
    const what = tomlError.message.replace(/^Invalid TOML document:\s*/, '').split('\n')[0];
    throw new ImportFileError(
      `line ${tomlError.line}, column ${tomlError.column}: ${what} (a rabbitmqadmin v2 file is TOML: text in quotes, e.g. hostname = "localhost")`,
    );
  }
  return { format: 'rabbitmqadmin-ini', candidates: readIniNodes(parseConfigParser(clean)) };
}

// --- the classic INI file, as Python's configparser reads it ------------------------------------

interface IniValue {
  value: string;
  line: number;
}

export interface IniSection {
  name: string;
  line: number;
  values: Map<string, IniValue>;
}

/**
 * Python's configparser with its defaults (what the classic rabbitmqadmin uses): [section]
 * headers, "key = value" or "key: value", keys in any case, # and ; comment lines, indented
 * continuation lines, [DEFAULT] inherited by every section, a repeated section or key refused,
 * and %-interpolation (%% is "%", %(key)s another key's value). Inline comments are not
 * stripped here (configparser keeps them); readIniNodes does that for fields that cannot hold "#".
 */
export function parseConfigParser(text: string): IniSection[] {
  const sections: IniSection[] = [];
  const defaults: IniSection = { name: 'DEFAULT', line: 0, values: new Map() };
  let current: IniSection | null = null;
  let last: { key: string; entry: IniValue } | null = null;
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  lines.forEach((raw, index) => {
    const number = index + 1;
    const stripped = raw.trim();
    if (stripped === '' || stripped.startsWith('#') || stripped.startsWith(';')) {
      if (stripped === '') last = null;
      return;
    }
    if (/^\s/.test(raw) && last) {
      last.entry.value += `\n${stripped}`;
      return;
    }
    const header = /^\[(.+)\]$/.exec(stripped);
    if (header) {
      const name = header[1] as string;
      if (name === 'DEFAULT') current = defaults;
      else if (sections.some((section) => section.name === name))
        throw new ImportFileError(`line ${number}: section [${name}] appears twice; keep one`);
      else {
        current = { name, line: number, values: new Map() };
        sections.push(current);
      }
      last = null;
      return;
    }
    const delimiter = /[=:]/.exec(stripped);
    if (!delimiter || delimiter.index === 0) {
      throw new ImportFileError(`line ${number}: "${clip(stripped)}" is neither "name = value" nor a [section] header`);
    }
    if (!current) throw new ImportFileError(`line ${number}: "${clip(stripped)}" comes before any [section] header`);
    const key = stripped.slice(0, delimiter.index).trim().toLowerCase();
    if (current.values.has(key)) throw new ImportFileError(`line ${number}: ${key} is set twice in [${current.name}]; keep one`);
    const entry = { value: stripped.slice(delimiter.index + 1).trim(), line: number };
    current.values.set(key, entry);
    last = { key, entry };
  });
  return sections.map((section) => {
    const merged = new Map([...defaults.values, ...section.values]);
    const values = new Map<string, IniValue>();
    for (const [key, entry] of merged) values.set(key, { value: interpolate(key, entry, merged, 0), line: entry.line });
    return { ...section, values };
  });
}

function interpolate(key: string, entry: IniValue, values: Map<string, IniValue>, depth: number): string {
  if (depth > 10) throw new ImportFileError(`line ${entry.line}: ${key} refers to itself through %(…)s`);
  return entry.value.replace(/%(%|\(([^)]*)\)s|.?)/g, (match, what: string, name: string | undefined) => {
    if (what === '%') return '%';
    if (name !== undefined) {
      const other = values.get(name.toLowerCase());
      if (!other) throw new ImportFileError(`line ${entry.line}: ${key} refers to %(${name})s, which is not set`);
      return interpolate(name.toLowerCase(), other, values, depth + 1);
    }
    throw new ImportFileError(
      `line ${entry.line}: ${key} has a "%" on its own; write it as "%%" (rabbitmqadmin reads this file with Python's configparser, which needs that)`,
    );
  });
}

const INI_KNOWN = new Set([
  'declare_vhost',
  'format',
  'depth',
  'request_timeout',
  'verbose',
  'quiet',
  'sort',
  'sort_reverse',
  'bash_completion',
]);

function readIniNodes(sections: IniSection[]): TransferCandidate[] {
  if (sections.length === 0)
    throw new ImportFileError('the file has no [section]: rabbitmqadmin reads each broker from one, e.g. [default]');
  return sections.map((section) => {
    const field = (key: string, inlineComments = true): Located<string> | undefined => {
      const entry = section.values.get(key);
      if (!entry) return undefined;
      // configparser keeps "# comment" in the value; rabbitmqadmin's own example has them.
      const value = inlineComments ? entry.value.replace(/\s+[#;].*$/s, '') : entry.value;
      return { value, where: `line ${entry.line}` };
    };
    return fromNode({
      name: section.name,
      origin: `[${section.name}], line ${section.line}`,
      read: (build) => {
        const unknown = [...section.values.keys()].filter((key) => !INI_FIELDS.has(key) && !INI_KNOWN.has(key));
        if (unknown.length > 0) build.notes.push(`Not used: ${unknown.join(', ')}.`);
        const uri = field('base_uri');
        const fromUri = uri ? baseUri(uri) : null;
        build.host(field('hostname') ?? fromUri?.host);
        build.port(field('port') ?? fromUri?.port);
        build.user(field('username') ?? fromUri?.user);
        build.password(field('password', false) ?? fromUri?.password);
        build.vhost(field('vhost') ?? field('declare_vhost'));
        const ssl = flag(field('ssl'), 'ssl');
        build.tls(ssl || fromUri?.https === true);
        build.basePath(normalizePrefix(field('path_prefix')?.value ?? ''));
        build.tlsFiles({ caFile: field('ssl_ca_cert_file'), certFile: field('ssl_cert_file'), keyFile: field('ssl_key_file') });
        if (flag(field('ssl_insecure'), 'ssl_insecure')) build.noVerify('ssl_insecure is on: certificates are not checked');
        else if (flag(field('ssl_disable_hostname_verification'), 'ssl_disable_hostname_verification'))
          build.notes.push('The file turns off host name checks; the app checks certificates fully. If the test fails, untick "Verify".');
      },
    });
  });
}

const INI_FIELDS = new Set([
  'hostname',
  'port',
  'username',
  'password',
  'vhost',
  'ssl',
  'ssl_key_file',
  'ssl_cert_file',
  'ssl_ca_cert_file',
  'ssl_insecure',
  'ssl_disable_hostname_verification',
  'path_prefix',
  'base_uri',
]);

// --- rabbitmqadmin v2's TOML file --------------------------------------------------------------

const TOML_FIELDS = new Set([
  'hostname',
  'port',
  'username',
  'password',
  'virtual_host',
  'tls',
  'scheme',
  'path_prefix',
  'base_uri',
  'ca_certificate_bundle_path',
  'client_certificate_file_path',
  'client_private_key_file_path',
]);
const TOML_KNOWN = new Set(['non_interactive', 'quiet', 'table_style']);

function readTomlNodes(document: Record<string, unknown>, text: string): TransferCandidate[] {
  const names = Object.keys(document);
  if (names.length === 0) throw new ImportFileError('the file has no [section]: rabbitmqadmin reads each broker from one, e.g. [default]');
  for (const name of names) {
    const value = document[name];
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
      throw new ImportFileError(
        `line ${tomlLine(text, null, name)}: ${name} is outside any [node] table; rabbitmqadmin v2 reads each broker from one, e.g. [local]`,
      );
    }
  }
  return names.map((name) => {
    const table = document[name] as Record<string, unknown>;
    const where = (key: string) => `line ${tomlLine(text, name, key)}`;
    const text_ = (key: string): Located<string> | undefined => {
      const value = table[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'string') throw new FieldProblem(`${where(key)}: ${key} must be text in quotes`);
      return { value, where: where(key) };
    };
    return fromNode({
      name,
      origin: `[${name}], line ${tomlLine(text, name, null)}`,
      read: (build) => {
        const unknown = Object.keys(table).filter((key) => !TOML_FIELDS.has(key) && !TOML_KNOWN.has(key));
        if (unknown.length > 0) build.notes.push(`Not used: ${unknown.join(', ')}.`);
        const uri = text_('base_uri');
        const fromUri = uri ? baseUri(uri) : null;
        const port = table.port;
        if (port !== undefined && typeof port !== 'number' && typeof port !== 'string')
          throw new FieldProblem(`${where('port')}: port must be a number`);
        const scheme = text_('scheme');
        if (scheme && !['http', 'https'].includes(scheme.value.toLowerCase()))
          throw new FieldProblem(`${scheme.where}: scheme "${clip(scheme.value)}" must be http or https`);
        const tlsValue = table.tls;
        if (tlsValue !== undefined && typeof tlsValue !== 'boolean') throw new FieldProblem(`${where('tls')}: tls must be true or false`);
        const tls = tlsValue === true || scheme?.value.toLowerCase() === 'https' || fromUri?.https === true;
        build.host(text_('hostname') ?? fromUri?.host);
        build.port(port === undefined ? fromUri?.port : { value: String(port), where: where('port') }, tls ? 15671 : 15672);
        build.user(text_('username'));
        build.password(text_('password'));
        build.vhost(text_('virtual_host'));
        build.tls(tls);
        const prefix = text_('path_prefix');
        const normalized = normalizePrefix(prefix?.value ?? '/api');
        if (!/(^|\/)api$/.test(normalized))
          throw new FieldProblem(
            `${prefix?.where}: path_prefix "${clip(prefix?.value ?? '')}" does not end in /api, so the app cannot tell where the management API is`,
          );
        build.basePath(normalized.replace(/\/?api$/, ''));
        build.tlsFiles({
          caFile: text_('ca_certificate_bundle_path'),
          certFile: text_('client_certificate_file_path'),
          keyFile: text_('client_private_key_file_path'),
        });
      },
    });
  });
}

/** The line of a key in a [table] (or of the table's header when key is null; the top level when table is null). */
function tomlLine(text: string, table: string | null, key: string | null): number {
  const lines = text.split('\n');
  let inside = table === null;
  for (const [index, raw] of lines.entries()) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]/.exec(raw);
    if (header) {
      inside = unquote(header[1] as string) === table;
      if (inside && key === null) return index + 1;
      continue;
    }
    if (inside && key !== null) {
      const assignment = /^\s*("[^"]*"|'[^']*'|[\w-]+)\s*=/.exec(raw);
      if (assignment && unquote(assignment[1] as string) === key) return index + 1;
    }
  }
  return 1;
}

function unquote(name: string): string {
  return /^(["']).*\1$/.test(name) ? name.slice(1, -1) : name;
}

// --- from either file's values to a profile ---------------------------------------------------

interface Located<T> {
  value: T;
  where: string;
}

class FieldProblem extends Error {}

interface Builder {
  notes: string[];
  host(value: Located<string> | undefined): void;
  port(value: Located<string> | undefined, fallback?: number): void;
  user(value: Located<string> | undefined): void;
  password(value: Located<string> | undefined): void;
  vhost(value: Located<string> | undefined): void;
  tls(enabled: boolean): void;
  basePath(path: string): void;
  tlsFiles(files: { caFile?: Located<string>; certFile?: Located<string>; keyFile?: Located<string> }): void;
  noVerify(why: string): void;
}

function fromNode(node: { name: string; origin: string; read: (build: Builder) => void }): TransferCandidate {
  const notes: string[] = [];
  let host = 'localhost';
  let port: number | null = null;
  let user = 'guest';
  let password: string | null = null;
  let vhost = '/';
  let tls = false;
  let basePath = '';
  let verify = true;
  let files: { caFile?: string; certFile?: string; keyFile?: string } = {};
  const builder: Builder = {
    notes,
    host(value) {
      if (!value) return;
      if (!/^[^\s/@]+$/.test(value.value)) throw new FieldProblem(`${value.where}: hostname "${clip(value.value)}" is not a host name`);
      host = value.value;
    },
    port(value, fallback = 15672) {
      if (!value) {
        port = fallback;
        return;
      }
      const number = /^\d{1,5}$/.test(value.value.trim()) ? Number(value.value.trim()) : Number.NaN;
      if (!(number >= 1 && number <= 65535))
        throw new FieldProblem(`${value.where}: port "${clip(value.value)}" is not a port number (1 to 65535)`);
      port = number;
    },
    user(value) {
      if (value && value.value !== '') user = value.value;
      else notes.push('No user in the file: guest, as rabbitmqadmin assumes.');
    },
    password(value) {
      if (value && value.value !== '') password = value.value;
    },
    vhost(value) {
      if (value && value.value !== '') vhost = value.value;
      else notes.push('No virtual host (vhost) in the file: "/", the default one.');
    },
    tls(enabled) {
      tls = enabled;
    },
    basePath(path) {
      basePath = path;
    },
    tlsFiles(located) {
      files = {
        ...(located.caFile ? { caFile: located.caFile.value } : {}),
        ...(located.certFile ? { certFile: located.certFile.value } : {}),
        ...(located.keyFile ? { keyFile: located.keyFile.value } : {}),
      };
    },
    noVerify(why) {
      verify = false;
      notes.push(`${why[0]?.toUpperCase()}${why.slice(1)}.`);
    },
  };
  try {
    node.read(builder);
  } catch (error) {
    if (!(error instanceof FieldProblem)) throw error;
    return { origin: node.origin, settings: null, password: null, notes, problem: error.message };
  }
  const amqpPort = tls ? 5671 : 5672;
  notes.unshift(
    `The file names only the management (HTTP API) port, ${port}; the AMQP port is set to ${amqpPort}, RabbitMQ's default${tls ? ' with TLS' : ''}. Change it in Edit if your broker uses another.`,
  );
  const tlsSettings = { enabled: tls, verify, ...(tls ? files : {}) };
  const name = node.name.trim().slice(0, 80);
  const parsed = profileInputSchema.safeParse({
    name,
    amqp: { host, port: amqpPort, tls: tlsSettings },
    management: { host, port, basePath, tls: tlsSettings },
    user,
    vhost,
    safety: 'read-only',
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { origin: node.origin, settings: null, password: null, notes, problem: `${issue?.path.join('.')}: ${issue?.message}` };
  }
  return { origin: node.origin, settings: parsed.data, password, notes };
}

/** A base_uri's parts; rabbitmqadmin ignores its path. */
function baseUri(uri: Located<string>): {
  host: Located<string>;
  port?: Located<string>;
  user?: Located<string>;
  password?: Located<string>;
  https: boolean;
} {
  let url: URL;
  try {
    url = new URL(uri.value);
  } catch {
    throw new FieldProblem(`${uri.where}: base_uri "${clip(uri.value)}" is not a URL like https://rabbit.example.com:15671`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new FieldProblem(`${uri.where}: base_uri must start with http:// or https://`);
  const at = (value: string) => ({ value, where: uri.where });
  return {
    host: at(url.hostname.replace(/^\[|\]$/g, '')),
    ...(url.port ? { port: at(url.port) } : url.protocol === 'https:' ? { port: at('15671') } : {}),
    ...(url.username ? { user: at(decodeURIComponent(url.username)) } : {}),
    ...(url.password ? { password: at(decodeURIComponent(url.password)) } : {}),
    https: url.protocol === 'https:',
  };
}

/** A Python-style boolean; anything else is a problem naming the line. */
function flag(value: Located<string> | undefined, key: string): boolean {
  if (!value) return false;
  const word = value.value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(word)) return true;
  if (['false', 'no', 'off', '0', ''].includes(word)) return false;
  throw new FieldProblem(`${value.where}: ${key} "${clip(value.value)}" must be True or False`);
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, '');
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
