import {
  ArnFormat,
  aws_apigateway as apigateway,
  aws_apigatewayv2 as apigatewayv2,
  type aws_dynamodb as dynamodb,
  Fn,
  aws_iam as iam,
  aws_apigatewayv2_integrations as integrations,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
  aws_secretsmanager as secretsmanager,
  Token,
  Validations,
  aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EDGE_FUNCTION_SPECS, type FunctionSpec, type HttpFunctionName, variableNames } from './functions.js';

/**
 * What fronts start-contact: an API Gateway HTTP API (the default), a REST API (the only one of the
 * three AWS WAF can be associated with), or a Lambda Function URL.
 */
export type EdgeFrontDoor = 'http-api' | 'rest-api' | 'function-url';

/** Tokens a website sends (`Authorization: Bearer`): verified against a JWKS URL or an HMAC secret. */
export type EdgeTokens = {
  /** The `iss` tokens must carry. */
  readonly issuer: string;
  /** The `aud` values, one of which tokens must carry. */
  readonly audience: readonly string[];
  /** Answer 401 to a request without a token (default false: anonymous requests are screened by IP). */
  readonly required?: boolean;
} & (
  | { readonly jwksUrl: string; readonly secretArn?: never }
  | {
      /** The full ARN of a secret holding the shared HMAC key (its string as UTF-8, 32+ bytes). */
      readonly secretArn: string;
      /** The KMS key the secret is encrypted with, when not the account's `aws/secretsmanager`. */
      readonly secretKeyArn?: string;
      readonly jwksUrl?: never;
    }
);

/** start-contact: a website's chats, web calls and tasks, screened before Connect creates them (docs/deploy.md). */
export interface EdgeProps {
  /** The flows a request may name, `name` → contact flow id (a UUID): `FLOWGUARD_EDGE_FLOWS`, and exactly what the role may start. */
  readonly flows: Readonly<Record<string, string>>;
  /** The websites whose browsers may call it (`https://www.example.com`): `FLOWGUARD_EDGE_ALLOWED_ORIGINS`. */
  readonly allowedOrigins: readonly string[];
  /** Contact attributes a request may set (`FLOWGUARD_EDGE_ATTRIBUTES`; default none). */
  readonly attributes?: readonly string[];
  /** Default `'http-api'`, or `'rest-api'` with `waf`. */
  readonly frontDoor?: EdgeFrontDoor;
  /** Steady requests per second the API stage admits, all clients together (default 50; not with a Function URL). */
  readonly rateLimit?: number;
  /** Burst the API stage admits (default 100; not with a Function URL). */
  readonly burstLimit?: number;
  /** A REGIONAL AWS WAF web ACL on the REST API stage: a rate-based rule per IP and AWS's known-bad-inputs rules. */
  readonly waf?: boolean;
  /** Requests one IP may send in any 5 minutes before WAF blocks it (default 300). */
  readonly wafRateLimit?: number;
  readonly tokens?: EdgeTokens;
  /** Reserved concurrency (default the registry's, 50). */
  readonly reservedConcurrency?: number;
  /** Any other start-contact variable (`FLOWGUARD_EDGE_KEY_BY`, `FLOWGUARD_EDGE_FAIL_MODE`, `FLOWGUARD_IP_LIMITS`...). */
  readonly environment?: Readonly<Record<string, string>>;
}

/** What the construct is built with: the stack's one way to deploy a function, and what screen-caller is. */
export interface FlowguardEdgeProps {
  readonly edge: EdgeProps;
  readonly instanceArn: string;
  readonly namePrefix: string;
  readonly logsKey: kms.IKey;
  readonly retention: logs.RetentionDays;
  readonly table: dynamodb.ITable;
  /** Deploys the function through the stack's code path (alias, log group, role); its role's policy comes back. */
  readonly deploy: (
    spec: FunctionSpec<HttpFunctionName>,
    options: {
      readonly environment: Readonly<Record<string, string>>;
      readonly reservedConcurrency?: number;
      readonly acknowledge: (fn: lambda.Function) => void;
    },
  ) => { fn: lambda.Function; alias: lambda.Alias; policy: iam.ManagedPolicy };
  /** screen-caller, when deployed: it verifies the identities start-contact signs. */
  readonly screenCaller?: { readonly fn: lambda.Function; readonly policy: iam.ManagedPolicy };
}

/** The variable start-contact and screen-caller read the signing secret's id from. */
export const EDGE_SIGNING_SECRET_VARIABLE = 'FLOWGUARD_EDGE_SIGNING_SECRET_ID';

/** The Connect actions start-contact calls: one per kind of contact, each on a contact flow. */
export const START_CONTACT_ACTIONS = [
  'connect:StartChatContact',
  'connect:StartTaskContact',
  'connect:StartWebRTCContact',
] as const;

export const EDGE_DEFAULTS = { rateLimit: 50, burstLimit: 100, wafRateLimit: 300 } as const;

/** The path the front doors route to start-contact (a Function URL sends every path to it). */
export const START_PATH = '/start';

const FLOW_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const FLOW_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ORIGIN = /^(https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?|http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?)$/;

const WAF_REFERENCE =
  'https://docs.aws.amazon.com/waf/latest/developerguide/how-aws-waf-works-resources.html';

/**
 * The access log line: who asked for what and what came back, by API Gateway's own context
 * variables. No body, no header (the `Authorization` token never), no address or user agent: the
 * function's own log keeps none of those either, and WAF's log (with `waf`) has the address.
 */
const HTTP_API_ACCESS_LOG = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
};
const REST_API_ACCESS_LOG = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integration.latency',
  wafStatus: '$context.waf.status',
};

/**
 * start-contact behind its front door: the function (through the stack's code path), the signing
 * secret under its own key (read by screen-caller too), the Connect grant on exactly the
 * configured flows, the API or Function URL, and with `waf` a REGIONAL web ACL on a REST API stage.
 */
export class FlowguardEdge extends Construct {
  readonly fn: lambda.Function;
  readonly alias: lambda.Alias;
  readonly signingSecret: secretsmanager.Secret;
  readonly signingKey: kms.Key;
  readonly frontDoor: EdgeFrontDoor;
  /** Where a website POSTs (`.../start`; a Function URL's root). */
  readonly url: string;
  readonly httpApi?: apigatewayv2.HttpApi;
  readonly restApi?: apigateway.RestApi;
  readonly functionUrl?: lambda.FunctionUrl;
  readonly webAcl?: wafv2.CfnWebACL;
  readonly accessLogs?: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FlowguardEdgeProps) {
    super(scope, id);
    const { edge } = props;
    const stack = Stack.of(this);
    this.frontDoor = frontDoorOf(edge);
    const flows = checkedFlows(edge.flows);
    const origins = checkedOrigins(edge.allowedOrigins);

    this.signingKey = new kms.Key(this, 'SigningKey', {
      description: 'flowguard: the edge signing secret (start-contact signs, screen-caller verifies)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.signingSecret = new secretsmanager.Secret(this, 'SigningSecret', {
      description:
        'flowguard: the HMAC key start-contact signs screened identities with (base64 of 48 random bytes); screen-caller verifies with AWSCURRENT and AWSPREVIOUS',
      encryptionKey: this.signingKey,
      removalPolicy: RemovalPolicy.RETAIN,
      // 64 characters of the base64 alphabet: base64 of 48 bytes, about 381 random bits.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    const rotation =
      'Rotated by hand (docs/deploy.md, "start-contact"): PutSecretValue with a new random value moves AWSCURRENT, start-contact signs with it at its next cache refresh, and screen-caller still verifies identities signed under AWSPREVIOUS; a rotation Lambda would only add a second function with write access to the key';
    Validations.of(this.signingSecret).acknowledge({ id: 'AwsSolutions-SMG4', reason: rotation });
    Validations.of(this.signingSecret).acknowledge({
      id: 'NIST.800.53.R5-SecretsManagerRotationEnabled',
      reason: rotation,
    });

    const instanceId = Token.isUnresolved(props.instanceArn)
      ? Fn.select(1, Fn.split('/', props.instanceArn))
      : (props.instanceArn.split('/')[1] ?? '');
    const environment: Record<string, string> = {
      FLOWGUARD_CONNECT_INSTANCE_ID: instanceId,
      FLOWGUARD_EDGE_FLOWS: flows.map(([name, flowId]) => `${name}=${flowId}`).join(','),
      FLOWGUARD_EDGE_ALLOWED_ORIGINS: origins.join(','),
      [EDGE_SIGNING_SECRET_VARIABLE]: this.signingSecret.secretArn,
    };
    if (edge.attributes && edge.attributes.length > 0) {
      environment.FLOWGUARD_EDGE_ATTRIBUTES = edge.attributes.join(',');
    }
    const { tokens } = edge;
    if (tokens) {
      if (tokens.jwksUrl) environment.FLOWGUARD_EDGE_JWKS_URL = tokens.jwksUrl;
      if (tokens.secretArn) environment.FLOWGUARD_EDGE_JWT_SECRET_ID = tokens.secretArn;
      environment.FLOWGUARD_EDGE_JWT_ISSUER = tokens.issuer;
      environment.FLOWGUARD_EDGE_JWT_AUDIENCE = tokens.audience.join(',');
      if (tokens.required) environment.FLOWGUARD_EDGE_TOKEN_REQUIRED = 'true';
    }
    Object.assign(environment, edge.environment);
    const known = variableNames('start-contact');
    const unknown = Object.keys(environment).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new Error(`edge: start-contact reads no variable ${unknown.join(', ')} (packages/edge contract)`);
    }

    const [spec] = EDGE_FUNCTION_SPECS;
    if (!spec) throw new Error('the registry has no HTTP function');
    const { fn, alias, policy } = props.deploy(spec, {
      environment,
      reservedConcurrency: edge.reservedConcurrency,
      acknowledge: (f) => acknowledgeEdgeFunction(f),
    });
    this.fn = fn;
    this.alias = alias;

    // Connect: the three start actions on exactly the configured flows of the instance.
    policy.addStatements(
      new iam.PolicyStatement({
        actions: [...START_CONTACT_ACTIONS],
        resources: flows.map(([, flowId]) => `${props.instanceArn}/contact-flow/${flowId}`),
      }),
    );
    this.grantSigningSecret(policy);
    if (tokens?.secretArn) {
      policy.addStatements(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [tokens.secretArn],
        }),
      );
      if (tokens.secretKeyArn) {
        policy.addStatements(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [tokens.secretKeyArn],
            conditions: {
              StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` },
            },
          }),
        );
      }
    }
    if (props.screenCaller) {
      // screen-caller verifies what start-contact signed (trustSignedIdentity): the same secret, read only.
      props.screenCaller.fn.addEnvironment(EDGE_SIGNING_SECRET_VARIABLE, this.signingSecret.secretArn);
      this.grantSigningSecret(props.screenCaller.policy);
    }

    const rateLimit = edge.rateLimit ?? EDGE_DEFAULTS.rateLimit;
    const burstLimit = edge.burstLimit ?? EDGE_DEFAULTS.burstLimit;
    if (this.frontDoor === 'function-url') {
      this.functionUrl = this.functionUrlOf(alias);
      this.url = this.functionUrl.url;
    } else {
      this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
        retention: props.retention,
        encryptionKey: props.logsKey,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      if (this.frontDoor === 'http-api') {
        this.httpApi = this.httpApiOf(alias, props.namePrefix, this.accessLogs, { rateLimit, burstLimit });
        this.url = `${this.httpApi.apiEndpoint}${START_PATH}`;
      } else {
        this.restApi = this.restApiOf(alias, props.namePrefix, this.accessLogs, { rateLimit, burstLimit });
        this.url = this.restApi.urlForPath(START_PATH);
        if (edge.waf) {
          this.webAcl = this.webAclOf(props, this.restApi, edge.wafRateLimit ?? EDGE_DEFAULTS.wafRateLimit);
        } else {
          const reason =
            'edge.waf is off: reserved concurrency, the stage throttle and start-contact’s own per-IP limits bound a flood; turn edge.waf on (-c edgeWaf=true) for a web ACL on this stage';
          Validations.of(this.restApi.deploymentStage).acknowledge({ id: 'AwsSolutions-APIG3', reason });
          Validations.of(this.restApi.deploymentStage).acknowledge({
            id: 'NIST.800.53.R5-APIGWAssociatedWithWAF',
            reason,
          });
        }
      }
    }
  }

  /** Read the signing secret: GetSecretValue on it, and Decrypt under its key through Secrets Manager for it alone. */
  private grantSigningSecret(policy: iam.ManagedPolicy): void {
    const secret = this.signingSecret.secretArn;
    policy.addStatements(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret] }),
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.signingKey.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com`,
            'kms:EncryptionContext:SecretARN': secret,
          },
        },
      }),
    );
  }

  /**
   * A Function URL with auth type NONE on the `live` alias: a browser cannot sign requests with
   * SigV4, so AWS_IAM would shut every website out. start-contact checks the origin, verifies the
   * token and screens every request itself; reserved concurrency bounds what a flood costs.
   */
  private functionUrlOf(alias: lambda.Alias): lambda.FunctionUrl {
    const url = new lambda.FunctionUrl(this, 'FunctionUrl', {
      function: alias,
      authType: lambda.FunctionUrlAuthType.NONE,
      // No `cors`: start-contact answers preflights from its own allow-list.
    });
    const reason =
      'A browser cannot sign SigV4 requests, so the Function URL is public (auth type NONE): start-contact refuses origins not on its allow-list, verifies tokens and screens each request by the flows’ rules and limits before Connect is called; reserved concurrency bounds a flood';
    for (const child of [url, ...alias.node.children]) {
      Validations.of(child).acknowledge({
        id: 'NIST.800.53.R5-LambdaFunctionPublicAccessProhibited',
        reason,
      });
    }
    return url;
  }

  /** An HTTP API (payload format 2.0): POST and OPTIONS /start to the alias, the $default stage throttled and access-logged. */
  private httpApiOf(
    alias: lambda.Alias,
    prefix: string,
    accessLogs: logs.LogGroup,
    throttle: { rateLimit: number; burstLimit: number },
  ): apigatewayv2.HttpApi {
    const api = new apigatewayv2.HttpApi(this, 'HttpApi', {
      apiName: `${prefix}start-contact`,
      description: 'flowguard start-contact: a website starts a chat, web call or task, screened first',
      // No corsPreflight: the function's allow-list is the one source of the CORS answer (an API
      // answering preflights itself would add a second set of headers, which browsers refuse).
      createDefaultStage: false,
    });
    new apigatewayv2.HttpStage(this, 'HttpStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigatewayv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(HTTP_API_ACCESS_LOG)),
      },
    });
    const integration = new integrations.HttpLambdaIntegration('StartContact', alias, {
      payloadFormatVersion: apigatewayv2.PayloadFormatVersion.VERSION_2_0,
    });
    const routes = api.addRoutes({
      path: START_PATH,
      methods: [apigatewayv2.HttpMethod.POST, apigatewayv2.HttpMethod.OPTIONS],
      integration,
    });
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'start-contact is called by browsers of any visitor: it authenticates the bearer token itself (JWKS or HMAC), refuses origins not on its allow-list and screens every request; an API Gateway authorizer cannot express anonymous-but-screened callers',
      });
    }
    return api;
  }

  /** A REGIONAL REST API (the front door WAF can be associated with): POST and OPTIONS /start, Lambda proxy to the alias. */
  private restApiOf(
    alias: lambda.Alias,
    prefix: string,
    accessLogs: logs.LogGroup,
    throttle: { rateLimit: number; burstLimit: number },
  ): apigateway.RestApi {
    const api = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `${prefix}start-contact`,
      description: 'flowguard start-contact: a website starts a chat, web call or task, screened first',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // The account-wide CloudWatch role is an account setting, not this stack's to change.
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(REST_API_ACCESS_LOG)),
        tracingEnabled: true,
        dataTraceEnabled: false,
      },
    });
    // A Lambda proxy integration: the function sees payload format 1.0 (httpMethod,
    // requestContext.identity.sourceIp), which it reads as it reads an HTTP API's 1.0 events.
    const integration = new apigateway.LambdaIntegration(alias, { proxy: true, allowTestInvoke: false });
    const resource = api.root.addResource(START_PATH.slice(1));
    const authorizerReason =
      'start-contact is called by browsers of any visitor: it authenticates the bearer token itself (JWKS or HMAC), refuses origins not on its allow-list and screens every request; an API Gateway authorizer cannot express anonymous-but-screened callers';
    for (const method of ['POST', 'OPTIONS']) {
      const m = resource.addMethod(method, integration);
      Validations.of(m).acknowledge({ id: 'AwsSolutions-APIG4', reason: authorizerReason });
      Validations.of(m).acknowledge({ id: 'AwsSolutions-COG4', reason: authorizerReason });
    }
    const acknowledge = (rule: string, reason: string) =>
      Validations.of(api).acknowledge({ id: rule, reason });
    acknowledge(
      'AwsSolutions-APIG2',
      'start-contact validates every body against its schema (compiled ajv, 8 KB cap) and answers 400 with the failing field; a second, looser model in API Gateway would drift from it',
    );
    const stage = api.deploymentStage;
    const executionLogs =
      'Access logs are on (no bodies, no headers); execution logs need the account-wide API Gateway CloudWatch role (an account setting this stack does not own) and at INFO would log requests with their tokens';
    Validations.of(stage).acknowledge({ id: 'AwsSolutions-APIG6', reason: executionLogs });
    Validations.of(stage).acknowledge({
      id: 'NIST.800.53.R5-APIGWExecutionLoggingEnabled',
      reason: executionLogs,
    });
    Validations.of(stage).acknowledge({
      id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
      reason:
        'Every answer is per request (a new contact, a screening decision) and marked no-store: nothing may be cached',
    });
    Validations.of(stage).acknowledge({
      id: 'NIST.800.53.R5-APIGWSSLEnabled',
      reason:
        'The integration is a Lambda proxy called by API Gateway through IAM: a client certificate authenticates HTTP backends only',
    });
    return api;
  }

  /**
   * A REGIONAL web ACL on the REST API stage: a rate-based rule per client IP (`limit` in any 5
   * minutes) and AWS's known-bad-inputs rule group; logged to an encrypted group without the
   * Authorization header.
   */
  private webAclOf(props: FlowguardEdgeProps, api: apigateway.RestApi, limit: number): wafv2.CfnWebACL {
    const metric = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.namePrefix}start-contact-${name}`,
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${props.namePrefix}start-contact`,
      description: 'flowguard start-contact: rate per IP and known bad inputs, in front of its own screening',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: metric('web-acl'),
      rules: [
        {
          name: 'rate-per-ip',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit, aggregateKeyType: 'IP', evaluationWindowSec: 300 },
          },
          visibilityConfig: metric('rate-per-ip'),
        },
        {
          name: 'known-bad-inputs',
          priority: 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' },
          },
          visibilityConfig: metric('known-bad-inputs'),
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });
    association.node.addDependency(api.deploymentStage);
    // WAF writes to CloudWatch Logs only into groups named aws-waf-logs-*, named by an ARN without ':*'.
    const name = `aws-waf-logs-${props.namePrefix}start-contact`;
    const group = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: name,
      retention: props.retention,
      encryptionKey: props.logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // The bearer token never reaches a log.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
    });
    logging.node.addDependency(group);
    return acl;
  }
}

function frontDoorOf(edge: EdgeProps): EdgeFrontDoor {
  const frontDoor = edge.frontDoor ?? (edge.waf ? 'rest-api' : 'http-api');
  if (edge.waf && frontDoor !== 'rest-api') {
    const what = frontDoor === 'http-api' ? 'an API Gateway HTTP API' : 'a Lambda Function URL';
    throw new Error(
      `edge.waf: AWS WAF cannot be associated with ${what} (regional web ACLs protect REST API stages, Application Load Balancers, AppSync, Cognito user pools, App Runner, Verified Access and Amplify: ${WAF_REFERENCE}); use frontDoor 'rest-api', the default with waf`,
    );
  }
  return frontDoor;
}

function checkedFlows(flows: Readonly<Record<string, string>>): [string, string][] {
  const entries = Object.entries(flows);
  if (entries.length === 0) throw new Error('edge.flows: name at least one flow (name=contact flow id)');
  for (const [name, flowId] of entries) {
    if (!FLOW_NAME.test(name)) {
      throw new Error(`edge.flows: ${JSON.stringify(name)} is not a flow name (1..64 letters, digits, _, -)`);
    }
    if (!Token.isUnresolved(flowId) && !FLOW_ID.test(flowId)) {
      throw new Error(`edge.flows: ${name}: ${JSON.stringify(flowId)} is not a contact flow id (a UUID)`);
    }
  }
  return entries;
}

function checkedOrigins(origins: readonly string[]): string[] {
  if (origins.length === 0) throw new Error('edge.allowedOrigins: name at least one origin');
  for (const origin of origins) {
    if (!Token.isUnresolved(origin) && !ORIGIN.test(origin)) {
      throw new Error(
        `edge.allowedOrigins: ${JSON.stringify(origin)} is not an origin (https://host[:port], http only for localhost; no path)`,
      );
    }
  }
  return [...origins];
}

function acknowledgeEdgeFunction(fn: lambda.Function): void {
  const acknowledge = (id: string, reason: string) => Validations.of(fn).acknowledge({ id, reason });
  acknowledge(
    'AwsSolutions-L1',
    'The functions are bundled for and tested on Node.js 22 (esbuild target node22); moving to a newer runtime is a deliberate change with its own tests',
  );
  acknowledge(
    'NIST.800.53.R5-LambdaDLQ',
    'API Gateway or the Function URL invokes start-contact synchronously and the browser gets its answer (502 or 503 with Retry-After at worst); a dead-letter queue only applies to asynchronous invocations',
  );
  acknowledge(
    'NIST.800.53.R5-LambdaInsideVPC',
    'start-contact calls Amazon Connect’s API and, with tokens, the identity provider’s JWKS URL on the internet: it runs outside the VPC even when the flow functions are in one, and reaches DynamoDB and Secrets Manager over TLS with IAM',
  );
}
