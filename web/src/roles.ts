// Roles as the client shows them: colour (cursors, badges) and what the interface offers.
// The server decides (domain/roles.py); this only mirrors its table to hide useless buttons.
import type { Role } from "./api";
import { t } from "./i18n";

export const ROLES: Role[] = ["habitant", "elu", "agent", "animateur", "conseil", "observateur"];

// Dark enough for white text at 4.5:1 (WCAG AA), and told apart by name as well as colour.
export const ROLE_COLOURS: Record<Role, string> = {
  habitant: "#1b6e3a",
  elu: "#7b2a8c",
  agent: "#0b57a4",
  animateur: "#a13a00",
  conseil: "#4d5359",
  observateur: "#6b5210",
};

export function roleLabel(role: string): string {
  return t(`role.${role}`);
}

export function roleColour(role: string): string {
  return ROLE_COLOURS[role as Role] ?? "#4d5359";
}

export const canEdit = (role: string): boolean =>
  ["habitant", "elu", "agent", "animateur"].includes(role);
export const canVote = (role: string): boolean => ["habitant", "agent"].includes(role);
export const canRunSession = (role: string): boolean => role === "animateur";
