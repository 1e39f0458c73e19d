// One form's values, what the server said about its last submit, and whether a submit is running —
// the state every form of the admin shares, so no dialog keeps its own copy. The server checks every
// rule (db/ERRORS.md) and names the input an error is about (`field`): the message goes under that
// input when the form shows it, and at the top of the form otherwise (`formError`: NOIDN, DNIED, an
// input this form does not show). The form never checks a rule itself nor rewords the server's
// message; it only says what never reaches the server (`say`: an amount that does not read as money).
//
//   const form = useForm({ name: "", timezone: "" });
//   const submit = form.submit(async ({ name, timezone }) => {
//     const result = await create({ name, timezone });
//     if (result.error) return void form.fail(result.error);
//     onClose();
//   });
//   <form onSubmit={submit} noValidate>
//     {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
//     <TextField label="Location name" {...form.text("name", "For example, the street.")} />
//     <Button type="submit" loading={form.submitting}>Add location</Button>   // Enter submits too
//
// Why our own hook rather than react-hook-form (the other choice of ../shared/DESIGN.md): what
// react-hook-form is best at is unused here, and what we need it would not do for us.
// - No rule is checked in the browser, so its validation (rules, resolvers, re-validation modes)
//   has nothing to run; its one server-side tool, setError, still needs our placement rule (under a
//   shown input, else at the top; any edit clears a top error), written on top of it all the same.
// - Most of our inputs are controlled components — select TextFields, the time zone and currency
//   Autocompletes, MoneyField's minor units, tag, checkbox and switch lists, toggle buttons — which
//   react-hook-form drives through a Controller each; `register` only suits plain text. Every form
//   would grow, and every form would be rewritten, for no change a person would see.
// - This hook is about a hundred lines with no dependency, and already every form's state.

import { useRef, useState, type ChangeEvent, type ReactNode } from "react";
import { serverError, type ServerError } from "./errors.ts";

/** The keys of V whose values are text (a TextField can edit them). */
type TextKey<V> = { [K in keyof V]: V[K] extends string | null ? K : never }[keyof V] & string;

/** What a MUI TextField needs to edit one text value and show the server's message under it. */
export interface TextFieldBinding {
  name: string;
  value: string;
  onChange(event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>): void;
  error: boolean;
  helperText: ReactNode;
}

export interface Form<V> {
  values: V;
  /** Changes one value; an error about it (or about the whole form) goes away. */
  set<K extends keyof V>(key: K, value: V[K]): void;
  /** What the server said about the last submit, wherever the form shows it; null before. */
  error: ServerError | null;
  /** The server's error about this input, or null. */
  errorOf(key: keyof V & string): ServerError | null;
  /** The server's error about the whole form or about an input this form does not show, or null. */
  formError: ServerError | null;
  /** Props for a TextField editing `key`: the server's message under it, else `hint`. */
  text(key: TextKey<V>, hint?: ReactNode): TextFieldBinding;
  /** Records what the server answered to a submit (a CombinedError, a RestError…) and returns it. */
  fail(error: unknown): ServerError;
  /**
   * Records what the form says itself about what never reached the server (an amount that does not
   * read as money, a payment with nothing handed over): under `key`, else at the top.
   */
  say(message: string, key?: keyof V & string): void;
  /** Starts again from these values, with no error. */
  reset(values: V): void;
  /** True while a submit runs: its button shows it (`loading`, which also disables it, so Enter waits too). */
  submitting: boolean;
  /**
   * A handler for the form's onSubmit (or a button's onClick) that keeps the browser from submitting
   * the page, ignores a second submit while one runs, and runs `action` with the values. The action
   * records the server's answer with `fail`; an error it throws (a REST call's) is recorded as well.
   * Errors stay on screen until the answer, or until the person edits what they are about.
   */
  submit(action: (values: V) => Promise<unknown> | unknown): (event?: { preventDefault(): void }) => void;
}

/**
 * @param initial the values the form starts from.
 * @param shown the inputs this form shows (all the keys of the values unless said): an error about
 *   any other input is shown at the top of the form.
 */
export function useForm<V extends object>(initial: V | (() => V), shown?: readonly (keyof V & string)[]): Form<V> {
  const [values, setValues] = useState<V>(initial);
  const [error, setError] = useState<ServerError | null>(null);
  const [submitting, setSubmitting] = useState(false);
  // A second Enter before the re-render that disables the button: state would still say idle.
  const running = useRef(false);
  const inputs = new Set<string>(shown ?? Object.keys(values));
  const isShown = (field: string | null) => field !== null && inputs.has(field);

  function set<K extends keyof V>(key: K, value: V[K]) {
    setValues((current) => ({ ...current, [key]: value }));
    setError((current) => (current && (current.field === key || !isShown(current.field)) ? null : current));
  }
  const errorOf = (key: keyof V & string) => (error && error.field === key && isShown(key) ? error : null);
  const formError = error && !isShown(error.field) ? error : null;
  function fail(failure: unknown) {
    const said = serverError(failure);
    setError(said);
    return said;
  }

  return {
    values,
    set,
    error,
    errorOf,
    formError,
    text(key, hint) {
      const own = errorOf(key);
      return {
        name: key,
        value: (values[key] as string | null) ?? "",
        onChange: (event) => set(key, event.target.value as V[typeof key]),
        error: Boolean(own),
        helperText: own ? own.message : hint,
      };
    },
    fail,
    say(message, key) {
      setError({ code: null, message, field: key ?? null, ref: null });
    },
    reset(next) {
      setValues(next);
      setError(null);
    },
    submitting,
    submit(action) {
      return (event) => {
        event?.preventDefault();
        if (running.current) return;
        running.current = true;
        setSubmitting(true);
        void (async () => {
          try {
            await action(values);
          } catch (thrown) {
            fail(thrown);
          } finally {
            running.current = false;
            setSubmitting(false);
          }
        })();
      };
    },
  };
}
