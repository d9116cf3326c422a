/**
 * The request bodies the `writ serve` benches send: Rick (an admin of the AuthZEN Todo
 * example) creating a todo, as an AuthZEN evaluation and as a governed authorization.
 */

const RICK = "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs";

/** `POST /access/v1/evaluation` (and the constant route). */
export const EVALUATION = JSON.stringify({ subject: { type: "user", id: RICK }, action: { name: "can_create_todo" }, resource: { type: "todo", id: "todo-1" } });

/** `POST /v1/authorize`. */
export const AUTHORIZE = JSON.stringify({ request: { principal: { type: "user", id: RICK }, action: { type: "Action", id: "can_create_todo" }, resource: { type: "todo", id: "todo-1" }, context: {} } });
