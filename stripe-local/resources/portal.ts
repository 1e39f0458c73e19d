// Billing portal sessions: POST /v1/billing_portal/sessions returns `bps_` sessions whose
// `url` is a page served by this server (see pages.ts).
import { errors } from '../errors.js';
import { newId } from '../ids.js';
import { allowOnly, optNullableString, optString, reqString } from '../params.js';
import { route, type Route } from '../router.js';
import type { Ctx, PortalSessionRec } from '../state.js';
import { getCustomer } from './customers.js';

export const PORTAL_CONFIGURATION = 'bpc_stripelocaldefault';

export function renderPortalSession(ctx: Ctx, s: PortalSessionRec) {
  return {
    id: s.id,
    object: 'billing_portal.session',
    configuration: s.configuration,
    created: s.created,
    customer: s.customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: s.locale,
    on_behalf_of: null,
    return_url: s.return_url,
    url: `${ctx.baseUrl()}/p/session/${s.id}`,
  };
}

export const portalRoutes: Route[] = [
  route('POST', '/v1/billing_portal/sessions', ({ ctx, params }) => {
    allowOnly(params, ['customer', 'return_url', 'configuration', 'locale', 'on_behalf_of', 'flow_data']);
    if (params.flow_data !== undefined) throw errors.unsupported('flow_data', 'portal flows (flow_data)');
    const customer = getCustomer(ctx, reqString(params, 'customer'), 'customer');
    const returnUrl = optNullableString(params, 'return_url') ?? null;
    if (returnUrl !== null && !/^https?:\/\//.test(returnUrl)) throw errors.invalidValue('return_url', 'Not a valid URL');
    const session: PortalSessionRec = {
      id: newId('bps'),
      seq: ctx.state.nextSeq(),
      created: ctx.clock.now(),
      customer: customer.id,
      return_url: returnUrl,
      locale: optString(params, 'locale') ?? null,
      configuration: optString(params, 'configuration') ?? PORTAL_CONFIGURATION,
    };
    ctx.state.portalSessions.set(session.id, session);
    const rendered = renderPortalSession(ctx, session);
    ctx.emit('billing_portal.session.created', rendered);
    return rendered;
  }),
];
