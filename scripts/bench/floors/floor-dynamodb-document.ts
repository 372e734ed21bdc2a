// Cold-import floor for the screening store's own SDK use: the DynamoDB client, the
// DocumentClient (@aws-sdk/lib-dynamodb) and the commands and paginators the store sends, and
// nothing of flowguard's. Next to floor-dynamodb it measures what lib-dynamodb itself costs.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

export const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const commands = [UpdateCommand, GetCommand, PutCommand, QueryCommand, DeleteCommand];
export const helpers = [paginateQuery, paginateScan, unmarshall];
export const handler = async () => ({});
