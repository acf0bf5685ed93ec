# shellcheck shell=bash
# Shared by the pipeline's scripts (deploy, rollback, migrate-task): an environment's
# names from its Terraform outputs, and the ECS calls they have in common. Sourced, not run.
#
# The outputs are `terraform output -json` of infra/terraform/environments/ENV, read
# through TF_OUTPUTS (a file holding that JSON) when it is set, else from
# `scripts/infra ENV output` (after its init, as the deploy workflow's job has done).
# Talks to AWS through the AWS CLI (v1 or v2): the region and credentials as the CLI
# finds them, AWS_ENDPOINT_URL for an emulator.

export AWS_PAGER=""
stack_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

die() { echo "${0##*/}: $*" >&2; exit 1; }

# stack_load ENV: checks ENV and reads its outputs.
stack_load() {
  stack_env=$1
  [ -d "$stack_root/infra/terraform/environments/$stack_env" ] \
    || die "no environment '$stack_env' (see infra/terraform/environments)"
  command -v aws >/dev/null || die "the AWS CLI is not installed (pip install awscli, or scripts/install-test-deps)"
  command -v jq >/dev/null || die "jq is not installed (apt-get install jq)"
  if [ -n "${TF_OUTPUTS:-}" ]; then
    stack_outputs=$(cat "$TF_OUTPUTS") || die "cannot read TF_OUTPUTS=$TF_OUTPUTS"
  else
    stack_outputs=$("$stack_root/scripts/infra" "$stack_env" output) \
      || die "no Terraform outputs for $stack_env: run scripts/infra $stack_env plan first, or set TF_OUTPUTS"
  fi
  cluster=$(stack_output cluster_name)
  service=$(stack_output service_name)
}

# stack_output NAME: one output's value (a list joined with commas); fails when it is
# missing. stack_optional NAME: empty when it is missing, as Terraform leaves out an
# output whose value is null (the CodeDeploy names of a rolling environment).
stack_output() {
  jq -er --arg name "$1" 'if has($name) then (.[$name].value // "") | if type == "array" then join(",") else . end else error("missing") end' \
    <<<"$stack_outputs" 2>/dev/null || die "the $stack_env environment has no output '$1' (terraform apply it first)"
}
stack_optional() {
  jq -r --arg name "$1" '.[$name].value // ""' <<<"$stack_outputs"
}

# current_task_definition: the ARN the service runs now.
current_task_definition() {
  aws ecs describe-services --cluster "$cluster" --services "$service" --output json \
    | jq -er '.services[0].taskDefinition // error("no service")' || die "no service $service in cluster $cluster"
}

# previous_of ARN: the revision a deploy replaced with ARN, from the tag the deploy left on it.
previous_of() {
  aws ecs describe-task-definition --task-definition "$1" --include TAGS --output json \
    | jq -r '[.tags[]? | select(.key == "deploy:previous-task-definition") | .value][0] // ""'
}

# switch_to ARN: puts the service on ARN, by a CodeDeploy blue/green deployment where
# the environment has one (the AppSpec in infra/appspec.yaml), else by a rolling
# update; then waits until it has settled or DEPLOY_TIMEOUT (seconds, default 900)
# runs out. Fails when ECS's circuit breaker or CodeDeploy rolled it back.
switch_to() {
  local arn=$1 group app deadline=$((SECONDS + ${DEPLOY_TIMEOUT:-900}))
  group=$(stack_optional codedeploy_deployment_group_name)
  if [ -n "$group" ]; then
    app=$(stack_output codedeploy_app_name)
    local appspec deployment status
    appspec=$(sed "s|TASK_DEFINITION_ARN|$arn|" "$stack_root/infra/appspec.yaml")
    deployment=$(aws deploy create-deployment --application-name "$app" --deployment-group-name "$group" \
      --description "${0##*/} $stack_env $arn" --output json \
      --revision "$(jq -nc --arg content "$appspec" '{revisionType: "AppSpecContent", appSpecContent: {content: $content}}')" \
      | jq -er .deploymentId) || die "CodeDeploy refused the deployment"
    echo "blue/green: CodeDeploy deployment $deployment of $arn"
    while :; do
      status=$(aws deploy get-deployment --deployment-id "$deployment" --output json | jq -r .deploymentInfo.status)
      case "$status" in
        Succeeded) return 0 ;;
        Failed | Stopped) die "CodeDeploy deployment $deployment ended $status (its automatic rollback restores the old version)" ;;
      esac
      [ "$SECONDS" -lt "$deadline" ] || die "CodeDeploy deployment $deployment still $status after ${DEPLOY_TIMEOUT:-900}s"
      sleep "${DEPLOY_POLL:-10}"
    done
  fi
  aws ecs update-service --cluster "$cluster" --service "$service" --task-definition "$arn" --output json >/dev/null \
    || die "ECS refused the update of $service"
  echo "rolling: service $service updating to $arn"
  local state
  while :; do
    state=$(aws ecs describe-services --cluster "$cluster" --services "$service" --output json | jq -c '.services[0] | {
      taskDefinition, running: .runningCount, desired: .desiredCount,
      deployments: [.deployments[] | {status, rolloutState}]}')
    if [ "$(jq -r .taskDefinition <<<"$state")" != "$arn" ]; then
      die "the service left $arn: the deployment circuit breaker or an alarm rolled it back ($state)"
    fi
    if jq -e '(.deployments | length) == 1 and .deployments[0].rolloutState == "COMPLETED" and .running == .desired' <<<"$state" >/dev/null; then
      return 0
    fi
    if jq -e 'any(.deployments[]; .status == "PRIMARY" and .rolloutState == "FAILED")' <<<"$state" >/dev/null; then
      die "the deployment of $arn failed ($state)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "the service has not settled on $arn after ${DEPLOY_TIMEOUT:-900}s ($state)"
    sleep "${DEPLOY_POLL:-10}"
  done
}
