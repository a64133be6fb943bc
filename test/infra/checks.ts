/**
 * The security invariants of the templates, as functions that list violations. The tests run them on the
 * real templates (expecting none) and on deliberately broken copies (expecting the break to be reported),
 * so a check that stopped seeing anything would fail too.
 */
import type { Node } from 'web-tree-sitter';
import {
  type BicepFile,
  type Declaration,
  callArguments,
  compact,
  declarations,
  literal,
  modulePath,
  possibleStrings,
  property,
  propertyNames,
  propertyPath,
  stringValue,
  targetScope,
} from './bicep';

/** Built-in roles the templates may assign, and why; anything broader (Owner, Contributor...) is a violation. */
export const ALLOWED_BUILT_IN_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39': 'Azure Service Bus Data Sender',
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0': 'Azure Service Bus Data Receiver',
};

const ROLE_ASSIGNMENT = 'Microsoft.Authorization/roleAssignments@';
const ROLE_DEFINITION = 'Microsoft.Authorization/roleDefinitions@';

const at = (file: BicepFile, d: Declaration | Node): string =>
  `${file.path}:${'line' in d ? d.line : d.startPosition.row + 1}`;

const resources = (file: BicepFile, typePrefix: string): Declaration[] =>
  declarations(file).filter((d) => d.kind === 'resource' && !d.existing && d.target?.startsWith(typePrefix));

function isCall(n: Node | undefined, ...fns: string[]): boolean {
  return n?.type === 'call_expression' && fns.includes(n.childForFieldName('function')?.text ?? '');
}

/** Does this file, or a module it deploys, create role assignments? */
function assignsRoles(files: BicepFile[], path: string, seen = new Set<string>()): boolean {
  const file = files.find((f) => f.path === path);
  if (!file || seen.has(path)) return false;
  seen.add(path);
  return declarations(file).some(
    (d) =>
      (d.kind === 'resource' && !d.existing && d.target?.startsWith(ROLE_ASSIGNMENT)) ||
      (d.kind === 'module' && assignsRoles(files, modulePath(file, d), seen)),
  );
}

/** Resource types whose actions must be granted on the named resources, never on a whole resource group. */
export const RESOURCE_SCOPED_TYPES = ['Microsoft.Logic/workflows', 'Microsoft.Web/sites'];

/** The `existing` resource declaration an assignment's `scope: x` or `scope: x[i]` names, if any. */
export function existingScope(file: BicepFile, scope: Node | undefined): Declaration | undefined {
  const symbol = /^(\w+)(\[\w+\])?$/.exec(compact(scope))?.[1];
  return declarations(file).find((d) => d.kind === 'resource' && d.existing && d.name === symbol);
}

/**
 * Role assignments: named guid(scope, principal, role), deployed only from resource-group scoped files (so
 * at a resource group or a resource in it), never scoped to subscription()/tenant()/managementGroup(),
 * assigning only allow-listed built-in roles or a custom role of the same file. A custom role with Logic
 * Apps workflow or App Service site actions is assigned on an existing resource of exactly that type (a
 * site's settings decide what code it runs; a workflow's definition is code), never on the resource group.
 * Modules that assign roles are scoped to resource groups; custom roles are assignable only in their
 * resource group.
 */
/** Listing a resource group's workflows cannot be granted per workflow: read-only listing may sit on the group. */
const LIST_ACTIONS = new Set(['Microsoft.Logic/workflows/read']);
const listsOnly = (actions: string[]) => actions.length > 0 && actions.every((a) => LIST_ACTIONS.has(a));

export function roleAssignmentViolations(files: BicepFile[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const scope = targetScope(file);
    const customRoles = new Set(resources(file, ROLE_DEFINITION).map((d) => d.name));
    for (const ra of resources(file, ROLE_ASSIGNMENT)) {
      const where = `${at(file, ra)} role assignment ${ra.name}`;
      const name = property(ra.body, 'name');
      if (!isCall(name, 'guid') || callArguments(name!).length < 3) {
        out.push(`${where}: name must be guid(scope, principal, role), is ${name?.text ?? 'missing'}`);
      }
      if (scope !== 'resourceGroup') {
        out.push(`${where}: deployed from a ${scope}-scoped template, i.e. at ${scope} scope`);
      }
      const raScope = property(ra.body, 'scope');
      if (isCall(raScope, 'subscription', 'tenant', 'managementGroup')) {
        out.push(`${where}: scope ${raScope!.text} is not a resource group or a resource`);
      }
      const roleId = propertyPath(ra.body, ['properties', 'roleDefinitionId']);
      if (isCall(roleId, 'subscriptionResourceId')) {
        const args = callArguments(roleId!);
        const guids = args.length === 2 ? [...possibleStrings(file, args[1]!)] : [];
        if (guids.length === 0) out.push(`${where}: cannot tell which role ${roleId!.text} is`);
        for (const g of guids) {
          if (!(g in ALLOWED_BUILT_IN_ROLES))
            out.push(`${where}: built-in role ${g} is not on the allow list`);
        }
      } else {
        const symbol = /^(\w+)\.id$/.exec(compact(roleId))?.[1];
        if (!symbol || !customRoles.has(symbol)) {
          out.push(
            `${where}: roleDefinitionId ${roleId?.text ?? 'missing'} is neither an allowed built-in role nor a custom role of this file`,
          );
        } else {
          const actions = [...customRoleActions(file, symbol)];
          const types = RESOURCE_SCOPED_TYPES.filter((t) => actions.some((a) => a.startsWith(`${t}/`)));
          const on = existingScope(file, raScope);
          const onType = on?.target?.split('@')[0];
          if (types.length > 1) {
            out.push(
              `${where}: custom role ${symbol} mixes actions on ${types.join(' and ')}: one role per type`,
            );
          } else if (types.length === 1 && onType !== types[0] && !(listsOnly(actions) && !raScope)) {
            out.push(
              `${where}: custom role ${symbol} acts on ${types[0]} but is assigned on ${on ? `${on.name} (${onType})` : raScope ? raScope.text : 'the whole resource group'}: assign it on each ${types[0]} resource`,
            );
          }
        }
      }
    }
    for (const def of resources(file, ROLE_DEFINITION)) {
      const scopes = compact(propertyPath(def.body, ['properties', 'assignableScopes']));
      if (scopes !== '[resourceGroup().id]') {
        out.push(
          `${at(file, def)} custom role ${def.name}: assignableScopes must be [resourceGroup().id], is ${scopes}`,
        );
      }
      if (scope !== 'resourceGroup')
        out.push(`${at(file, def)} custom role ${def.name}: defined outside a resource group`);
    }
    for (const mod of declarations(file).filter((d) => d.kind === 'module')) {
      if (!assignsRoles(files, modulePath(file, mod))) continue;
      const modScope = property(mod.body, 'scope');
      const rgSymbols = new Set(
        declarations(file)
          .filter((d) => d.kind === 'resource' && d.target?.startsWith('Microsoft.Resources/resourceGroups@'))
          .map((d) => d.name),
      );
      const ok = modScope
        ? isCall(modScope, 'resourceGroup') ||
          (modScope.type === 'identifier' && rgSymbols.has(modScope.text))
        : scope === 'resourceGroup';
      if (!ok) {
        out.push(
          `${at(file, mod)} module ${mod.name} assigns roles but is scoped to ${modScope?.text ?? `this ${scope}`}`,
        );
      }
    }
  }
  return out;
}

/** The Logic Apps actions a custom role can hold, following the variables its `actions` are built from. */
export function customRoleActions(file: BicepFile, roleSymbol: string): Set<string> {
  const def = resources(file, ROLE_DEFINITION).find((d) => d.name === roleSymbol);
  const permissions = propertyPath(def?.body, ['properties', 'permissions']);
  if (!def || permissions?.type !== 'array') throw new Error(`${file.path}: no custom role ${roleSymbol}`);
  const actions = new Set<string>();
  for (const p of permissions.namedChildren.filter((c) => c.type === 'object')) {
    const a = property(p, 'actions');
    if (a) possibleStrings(file, a).forEach((x) => actions.add(x));
    const dataActions = property(p, 'dataActions');
    if (dataActions && compact(dataActions) !== '[]')
      throw new Error(`${file.path}: ${roleSymbol} has dataActions`);
  }
  return actions;
}

/** App settings the control plane gets: the literal objects in the config resource and from main.bicep. */
export function appSettings(files: BicepFile[]): Map<string, Node> {
  const settings = new Map<string, Node>();
  const addObject = (obj: Node | undefined) => {
    for (const key of propertyNames(obj)) settings.set(key, property(obj, key)!);
  };
  for (const file of files) {
    for (const d of declarations(file)) {
      if (
        d.kind === 'resource' &&
        d.target === 'config' &&
        stringValue(property(d.body, 'name')!) === 'appsettings'
      ) {
        const props = property(d.body, 'properties');
        if (isCall(props, 'union')) callArguments(props!).forEach((a) => a.type === 'object' && addObject(a));
        else addObject(props);
      }
      if (d.kind === 'module' && modulePath(file, d).endsWith('modules/functionapp.bicep')) {
        addObject(propertyPath(d.body, ['params', 'appSettings']));
      }
    }
  }
  return settings;
}

const SECRETISH = /connection_?string|key|secret|password|sas|token/i;
/** Settings whose names look secret but which are flags: each may only be 'true' or 'false'. */
const FLAG_SETTINGS = new Set(['DR_KEY_IS_OPERATOR']);
const KEY_MATERIAL =
  /\blist[A-Z]\w*\s*\(|AccountKey=|SharedAccessKey|primaryKey|secondaryKey|primaryConnectionString/;

/** The literal strings a setting's value can take (a literal or a ternary of literals); empty otherwise. */
function possibleStringsOrEmpty(value: Node): Set<string> {
  const out = new Set<string>();
  const walk = (n: Node | null | undefined): boolean => {
    if (!n) return false;
    if (n.type === 'string') {
      const v = stringValue(n);
      if (v === undefined) return false;
      out.add(v);
      return true;
    }
    if (n.type === 'ternary_expression')
      return walk(n.childForFieldName('consequence')) && walk(n.childForFieldName('alternative'));
    if (n.type === 'parenthesized_expression') return n.namedChildren.every((c) => walk(c));
    return false;
  };
  return walk(value) ? out : new Set();
}

/**
 * No key material anywhere: no list*() calls (listKeys, listConnectionStrings, listSecrets...), no account
 * or SAS keys in strings, storage with shared keys off, identity-based host storage, no secret-looking
 * outputs or app settings. The Application Insights connection string is the one allowed "connection
 * string": it carries no key, and the component refuses its instrumentation key (local auth disabled).
 */
export function keyMaterialViolations(files: BicepFile[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    file.text.split('\n').forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (KEY_MATERIAL.test(code)) out.push(`${file.path}:${i + 1}: key material: ${line.trim()}`);
    });
    for (const d of declarations(file)) {
      if (
        d.kind === 'output' &&
        (SECRETISH.test(d.name) || /ConnectionString|secret|password/i.test(d.value?.text ?? ''))
      ) {
        out.push(`${at(file, d)} output ${d.name} looks like a secret: ${d.value?.text ?? ''}`);
      }
      if (
        d.kind === 'resource' &&
        !d.existing &&
        d.target?.startsWith('Microsoft.Storage/storageAccounts@')
      ) {
        if (literal(propertyPath(d.body, ['properties', 'allowSharedKeyAccess'])) !== false) {
          out.push(`${at(file, d)} storage ${d.name}: properties.allowSharedKeyAccess must be false`);
        }
      }
      if (d.kind === 'resource' && !d.existing && d.target?.startsWith('Microsoft.Insights/components@')) {
        if (literal(propertyPath(d.body, ['properties', 'DisableLocalAuth'])) !== true) {
          out.push(`${at(file, d)} Application Insights ${d.name}: DisableLocalAuth must be true`);
        }
      }
    }
  }
  const settings = appSettings(files);
  for (const [key, value] of settings) {
    if (key === 'APPLICATIONINSIGHTS_CONNECTION_STRING') {
      if (compact(value) !== 'appInsights.properties.ConnectionString') {
        out.push(`app setting ${key} must come from the Entra-only component, is ${value.text}`);
      }
    } else if (FLAG_SETTINGS.has(key)) {
      const values = [...possibleStringsOrEmpty(value)];
      if (values.length === 0 || values.some((v) => v !== 'true' && v !== 'false'))
        out.push(`app setting ${key} is a flag and must be 'true' or 'false', is ${value.text}`);
    } else if (key === 'AzureWebJobsStorage' || SECRETISH.test(key.replace(/^AzureWebJobsStorage__/, ''))) {
      out.push(`app setting ${key} holds a secret or a connection string`);
    }
  }
  const expected: Record<string, string | undefined> = {
    AzureWebJobsStorage__accountName: undefined,
    AzureWebJobsStorage__credential: 'managedidentity',
    AzureWebJobsStorage__clientId: undefined,
  };
  for (const [key, want] of Object.entries(expected)) {
    const value = settings.get(key);
    if (!value) out.push(`app setting ${key} is missing: host storage must be identity-based`);
    else if (want !== undefined && literal(value) !== want) out.push(`app setting ${key} must be '${want}'`);
  }
  return out;
}
