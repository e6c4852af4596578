/** Who is asking, as far as a driver can tell. Drivers without HTTP pass nulls. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export const NO_REQUEST_META: RequestMeta = { ip: null, userAgent: null };
