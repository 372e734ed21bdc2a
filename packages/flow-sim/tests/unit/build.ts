import type { Action, Flow } from '../../src/flow.js';

/** Small purpose-made flows for the tests. */
export function action(
  Identifier: string,
  Type: string,
  Parameters: Record<string, unknown> = {},
  transitions: {
    next?: string;
    errors?: Record<string, string>;
    conditions?: [operator: string, operand: string, next: string][];
  } = {},
): Action {
  return {
    Identifier,
    Type,
    Parameters,
    Transitions: {
      ...(transitions.next ? { NextAction: transitions.next } : {}),
      ...(transitions.errors
        ? {
            Errors: Object.entries(transitions.errors).map(([ErrorType, NextAction]) => ({
              ErrorType,
              NextAction,
            })),
          }
        : {}),
      ...(transitions.conditions
        ? {
            Conditions: transitions.conditions.map(([Operator, operand, NextAction]) => ({
              NextAction,
              Condition: { Operator, Operands: [operand] },
            })),
          }
        : {}),
    },
  };
}

export function flowOf(start: string, ...actions: Action[]): Flow {
  return { Version: '2019-10-30', StartAction: start, Actions: actions };
}

export const say = (id: string, text: string, next: string) =>
  action(id, 'MessageParticipant', { Text: text }, { next, errors: { NoMatchingError: next } });
export const hangUp = (id: string) => action(id, 'DisconnectParticipant');
export const invoke = (
  id: string,
  arn: string,
  attributes: Record<string, string>,
  next: string,
  onError: string,
  limit = '3',
) =>
  action(
    id,
    'InvokeLambdaFunction',
    {
      LambdaFunctionARN: arn,
      InvocationTimeLimitSeconds: limit,
      LambdaInvocationAttributes: attributes,
      ResponseValidation: { ResponseType: 'STRING_MAP' },
    },
    { next, errors: { NoMatchingError: onError } },
  );
