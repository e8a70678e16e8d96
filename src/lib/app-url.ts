/**
 * Where Herald itself answers (subscribe, manage, short links), apart from the status page's own address when the
 * two differ: every such link is built from this one function.
 */
export function appUrlOf(settings: { publicUrl: string; appUrl?: string }): string {
  return (settings.appUrl ?? settings.publicUrl).replace(/\/+$/, '');
}
