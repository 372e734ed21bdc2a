// Cold-import floor for functions on DynamoDB: the client and the commands the screening store
// sends (UpdateItem, GetItem, PutItem, Query, Scan, DeleteItem), and nothing of flowguard's.
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';

export const client = new DynamoDBClient({});
export const commands = [
  UpdateItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  DeleteItemCommand,
];
export const handler = async () => ({});
