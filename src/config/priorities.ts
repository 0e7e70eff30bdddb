/**
 * A task's priorities, most urgent first: the order the worker claims in. A module of its
 * own so that the store's row code loads it without the config schema (and zod).
 */
export const PRIORITIES = ["critical", "high", "medium", "low"] as const;
export type Priority = (typeof PRIORITIES)[number];
