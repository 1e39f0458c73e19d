// One form's values and what the server said about its last submit — the state every form of the
// admin shares, so no dialog keeps its own copy. The server checks every rule (db/ERRORS.md) and
// names the input an error is about (`field`): the message goes under that input when the form
// shows it, and at the top of the form otherwise (`formError`: NOIDN, DNIED, an input this form
// does not show). The form never checks a rule itself nor rewords the server's message.
//
//   const form = useForm({ name: "", timezone: "" });
//   <TextField label="Location name" {...form.text("name", "For example, the street.")} />
//   {form.formError && <Alert severity="error">{form.formError.message}</Alert>}
//   const result = await create(form.values); if (result.error) form.fail(result.error);
import { useState, type ChangeEvent, type ReactNode } from "react";
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
  /** Starts again from these values, with no error. */
  reset(values: V): void;
}

/**
 * @param initial the values the form starts from.
 * @param shown the inputs this form shows (all the keys of the values unless said): an error about
 *   any other input is shown at the top of the form.
 */
export function useForm<V extends object>(initial: V | (() => V), shown?: readonly (keyof V & string)[]): Form<V> {
  const [values, setValues] = useState<V>(initial);
  const [error, setError] = useState<ServerError | null>(null);
  const inputs = new Set<string>(shown ?? Object.keys(values));
  const isShown = (field: string | null) => field !== null && inputs.has(field);

  function set<K extends keyof V>(key: K, value: V[K]) {
    setValues((current) => ({ ...current, [key]: value }));
    setError((current) => (current && (current.field === key || !isShown(current.field)) ? null : current));
  }
  const errorOf = (key: keyof V & string) => (error && error.field === key && isShown(key) ? error : null);
  const formError = error && !isShown(error.field) ? error : null;

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
    fail(failure) {
      const said = serverError(failure);
      setError(said);
      return said;
    },
    reset(next) {
      setValues(next);
      setError(null);
    },
  };
}
